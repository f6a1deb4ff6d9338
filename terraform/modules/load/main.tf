# Distributed load on Kubernetes: an Indexed Job whose N pods each run one shard of a scenario,
# all starting at the same moment, their results on a shared volume; then a Job that merges them
# (exactly: counts and histograms add) and gates the merged result.
locals {
  start_at = var.start_at != "" ? var.start_at : timeadd(plantimestamp(), "120s")
  labels = {
    "app.kubernetes.io/name"       = "peac-load"
    "app.kubernetes.io/instance"   = var.name
    "app.kubernetes.io/managed-by" = "terraform"
  }
  budget_files = fileset(var.budgets_dir, "**/*.{yaml,yml,csv,json}")
  rendered = {
    shards = templatefile("${path.module}/templates/job.yaml.tftpl", {
      name             = var.name
      namespace        = var.namespace
      image            = var.image
      shards           = var.shards
      scenario         = var.scenario
      target           = var.target
      start_at         = local.start_at
      results_claim    = var.results_claim
      cpu              = var.cpu
      memory           = var.memory
      deadline_seconds = var.deadline_seconds
    })
    merge = templatefile("${path.module}/templates/merge-job.yaml.tftpl", {
      name             = var.name
      namespace        = var.namespace
      image            = var.image
      shards           = var.shards
      budget           = var.budget
      base             = var.base
      repository_url   = var.repository_url
      results_claim    = var.results_claim
      deadline_seconds = var.deadline_seconds
    })
    merge_policy = templatefile("${path.module}/templates/merge-network-policy.yaml.tftpl", {
      name      = var.name
      namespace = var.namespace
    })
  }
}

resource "kubernetes_config_map_v1" "budgets" {
  metadata {
    name      = "${var.name}-budgets"
    namespace = var.namespace
    labels    = local.labels
  }
  # ConfigMap keys cannot hold "/": nested files are flattened with "__" and the pods read
  # them from /budgets (scenarios in subfolders should reference data files by the same name).
  data = { for f in local.budget_files : replace(f, "/", "__") => file("${var.budgets_dir}/${f}") }
}

resource "kubernetes_manifest" "shards" {
  manifest   = yamldecode(local.rendered.shards)
  depends_on = [kubernetes_config_map_v1.budgets]
}

resource "kubernetes_manifest" "merge_policy" {
  manifest = yamldecode(local.rendered.merge_policy)
}

resource "kubernetes_manifest" "merge" {
  manifest   = yamldecode(local.rendered.merge)
  depends_on = [kubernetes_manifest.shards]
}
