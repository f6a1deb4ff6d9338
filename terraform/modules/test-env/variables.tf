variable "namespace" {
  description = "Namespace of the test environment (created by this module)."
  type        = string
  default     = "peac-test"
}

variable "image" {
  description = "Image of the service under test; the default command serves peac's demo shop from the peac image."
  type        = string
}

variable "command" {
  description = "Command of the service's container (the demo shop by default)."
  type        = list(string)
  default     = ["peac", "demo-server", "--host", "0.0.0.0", "--port", "8080", "--in-container"]
}

variable "port" {
  description = "Port the service listens on in its container."
  type        = number
  default     = 8080
}

variable "replicas" {
  description = "Replicas of the service under test."
  type        = number
  default     = 1
}

variable "readiness_path" {
  description = "HTTP path the readiness probe checks."
  type        = string
  default     = "/api/products"
}

variable "metrics_path" {
  description = "Path Prometheus scrapes (the demo shop serves /metrics)."
  type        = string
  default     = "/metrics"
}

variable "cpu" {
  description = "CPU request and limit of each replica."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory request and limit of each replica."
  type        = string
  default     = "256Mi"
}
