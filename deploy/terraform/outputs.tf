output "function_name" {
  value = aws_lambda_function.reconciler.function_name
}

output "role_arn" {
  description = "The function's role: give it to the member-account module (reconciler_role_arn)."
  value       = aws_iam_role.reconciler.arn
}

output "google_principal" {
  description = "The Google principal the function calls as (policyEditor on the access policy)."
  value       = google_access_context_manager_access_policy_iam_member.reconciler.member
}

output "event_rule" {
  value = aws_cloudwatch_event_rule.nat_changes.name
}
