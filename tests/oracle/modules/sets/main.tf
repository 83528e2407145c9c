# Sets: for_each over a set variable and over toset(), a dynamic block over a
# set (its iterator's key is the element, not a position), for expressions
# over sets, and == across types deciding a count.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "oracle"
  secret_key                  = "oracle"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variable "buckets" {
  type    = set(string)
  default = ["logs", "assets", "logs"]
}

variable "tiers" {
  type    = list(string)
  default = ["b", "a"]
}

locals {
  rules    = toset(["expire-old", "abort-uploads"])
  by_name  = { for k, v in toset(["x", "y"]) : k => "${k}-${v}" }
  same     = tolist(var.tiers) == var.tiers
  tuple_eq = var.tiers == ["b", "a"]
}

resource "aws_s3_bucket" "b" {
  for_each = var.buckets
  bucket   = "oracle-sets-${each.key}"
  tags     = { Key = each.key, Value = each.value, Names = join(",", [for k, v in local.by_name : "${k}=${v}"]) }
}

resource "aws_s3_bucket" "t" {
  for_each = toset([for t in var.tiers : "tier-${t}"])
  bucket   = "oracle-sets-${each.value}"
}

resource "aws_s3_bucket_lifecycle_configuration" "l" {
  bucket = "oracle-sets-lifecycle"
  dynamic "rule" {
    for_each = local.rules
    content {
      id     = rule.key
      status = rule.value == "expire-old" ? "Enabled" : "Disabled"
      filter {
        prefix = "${rule.key}/"
      }
      expiration {
        days = 30
      }
    }
  }
}

resource "aws_ssm_parameter" "eq" {
  count = local.same && !local.tuple_eq ? 1 : 0
  name  = "/oracle/sets/eq"
  type  = "String"
  value = "list == list, list != tuple"
}
