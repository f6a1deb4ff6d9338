variable "name" {
  description = "Name of the load test: the Jobs, ConfigMap and labels derive from it."
  type        = string
  default     = "peac-load"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$", var.name))
    error_message = "name must be a DNS label of at most 42 characters."
  }
}

variable "namespace" {
  description = "Namespace the load pods run in (the test environment's, so its network policy applies)."
  type        = string
}

variable "image" {
  description = "Container image with peac installed (terraform/image/Dockerfile), pinned by tag or digest."
  type        = string
}

variable "shards" {
  description = "Number of load pods: each runs one shard (1/N of the arrivals) of the scenario."
  type        = number
  default     = 2
  validation {
    condition     = var.shards >= 1 && var.shards <= 100
    error_message = "shards must be between 1 and 100."
  }
}

variable "budgets_dir" {
  description = "Local folder whose budget, scenario and data files go into the pods' ConfigMap."
  type        = string
}

variable "scenario" {
  description = "Scenario (or budget) file in budgets_dir that each pod runs."
  type        = string
}

variable "budget" {
  description = "Budget file in budgets_dir the merge step gates the merged result with."
  type        = string
}

variable "target" {
  description = "Base URL of the service under test (its host must be allowed by the scenario and peac.yaml)."
  type        = string
}

variable "start_at" {
  description = "When every shard starts (RFC 3339); empty means two minutes after the plan."
  type        = string
  default     = ""
}

variable "results_claim" {
  description = "A ReadWriteMany PersistentVolumeClaim the shards write their results to."
  type        = string
}

variable "repository_url" {
  description = "Git URL the merge step clones to gate against the base branch; empty merges only."
  type        = string
  default     = ""
}

variable "base" {
  description = "Base branch the merge step's gate judges against."
  type        = string
  default     = "main"
}

variable "cpu" {
  description = "CPU request and limit of each load pod (one worker per pod)."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory request and limit of each load pod."
  type        = string
  default     = "512Mi"
}

variable "deadline_seconds" {
  description = "The longest a load pod may run before Kubernetes stops it."
  type        = number
  default     = 3600
}
