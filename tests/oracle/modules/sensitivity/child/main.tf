variable "secret" {
  type = string
}
variable "name" {
  type = string
}
output "echo" {
  value     = var.secret
  sensitive = true
}
output "clear" {
  value = "${var.name}-child"
}
resource "aws_ssm_parameter" "p" {
  name  = "oracle-${var.name}"
  type  = "String"
  value = "prefix-${var.secret}"
  description = "from ${var.name}"
}
