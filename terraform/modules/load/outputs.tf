output "start_at" {
  description = "The moment every shard starts its load."
  value       = local.start_at
}

output "shards_job" {
  description = "Name of the Indexed Job that runs the shards."
  value       = "${var.name}-shards"
}

output "merge_job" {
  description = "Name of the Job that merges the shards' results and gates them."
  value       = "${var.name}-merge"
}

output "merged_result" {
  description = "Path of the merged result on the results volume."
  value       = "/results/${var.name}/merged.json"
}
