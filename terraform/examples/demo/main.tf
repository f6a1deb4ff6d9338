# The demo shop in a test namespace, loaded by 4 pods at once, the shards merged and gated.
#   terraform init && terraform apply -var image=registry.example.org/peac:0.1.0
terraform {
  required_version = ">= 1.5"
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.23"
    }
  }
}

variable "image" {
  description = "The peac image (terraform/image/Dockerfile) pushed to a registry the cluster can pull from."
  type        = string
}

variable "storage_class" {
  description = "A storage class that offers ReadWriteMany volumes (NFS, CephFS, EFS, Filestore...)."
  type        = string
  default     = "nfs"
}

provider "kubernetes" {}

module "environment" {
  source    = "../../modules/test-env"
  namespace = "peac-test"
  image     = var.image
}

resource "kubernetes_persistent_volume_claim_v1" "results" {
  metadata {
    name      = "peac-results"
    namespace = module.environment.namespace
  }
  spec {
    access_modes       = ["ReadWriteMany"]
    storage_class_name = var.storage_class
    resources {
      requests = {
        storage = "1Gi"
      }
    }
  }
}

module "load" {
  source        = "../../modules/load"
  name          = "shop-load"
  namespace     = module.environment.namespace
  image         = var.image
  shards        = 4
  budgets_dir   = "${path.module}/../../../budgets"
  scenario      = "shop.scenario.yaml"
  budget        = "shop.budget.yaml"
  target        = module.environment.target
  results_claim = kubernetes_persistent_volume_claim_v1.results.metadata[0].name
}

output "merged_result" {
  description = "Where the merged result is written on the results volume."
  value       = module.load.merged_result
}
