output "namespace" {
  description = "Namespace the load pods should run in."
  value       = kubernetes_namespace_v1.test.metadata[0].name
}

output "target" {
  description = "Base URL of the service under test, from inside the namespace."
  value       = "http://service-under-test.${var.namespace}.svc.cluster.local"
}
