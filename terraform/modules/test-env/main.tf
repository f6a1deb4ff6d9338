# A test environment for load tests: a namespace, the service under test (peac's demo shop by
# default) as a Deployment and Service with a readiness probe and Prometheus scrape annotations,
# and network policies that let the load pods (module "load") reach only that service.
locals {
  values = {
    namespace      = var.namespace
    image          = var.image
    command        = jsonencode(var.command)
    port           = var.port
    replicas       = var.replicas
    readiness_path = var.readiness_path
    metrics_path   = var.metrics_path
    cpu            = var.cpu
    memory         = var.memory
  }
  manifests = {
    deployment = templatefile("${path.module}/templates/deployment.yaml.tftpl", local.values)
    service    = templatefile("${path.module}/templates/service.yaml.tftpl", local.values)
    policies   = templatefile("${path.module}/templates/network-policies.yaml.tftpl", local.values)
  }
}

resource "kubernetes_namespace_v1" "test" {
  metadata {
    name = var.namespace
    labels = {
      "app.kubernetes.io/managed-by" = "terraform"
    }
  }
}

resource "kubernetes_manifest" "deployment" {
  manifest   = yamldecode(local.manifests.deployment)
  depends_on = [kubernetes_namespace_v1.test]
}

resource "kubernetes_manifest" "service" {
  manifest   = yamldecode(local.manifests.service)
  depends_on = [kubernetes_namespace_v1.test]
}

resource "kubernetes_manifest" "policies" {
  for_each   = { for doc in split("\n---\n", local.manifests.policies) : yamldecode(doc).metadata.name => yamldecode(doc) }
  manifest   = each.value
  depends_on = [kubernetes_namespace_v1.test]
}
