variable "name" {
  type = string
}
resource "aws_s3_bucket" "b" {
  bucket        = var.name
  force_destroy = true
  tags          = { Name = upper(var.name) }
}
output "name" {
  value = aws_s3_bucket.b.bucket
}
