# Functions and expressions inside resource arguments, as Terraform plans them.
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


variable "env" {
  default = "staging"
}
variable "cidr" {
  default = "10.20.0.0/16"
}
locals {
  names   = ["api", "web", "worker"]
  ports   = { api = 8080, web = 443, worker = 9000 }
  by_name = zipmap(local.names, [for n in local.names : upper(n)])
}

resource "aws_s3_bucket" "fn" {
  bucket = format("shop-%s-%03d", var.env, 7)
  tags = {
    Join      = join("-", local.names)
    Split     = element(split(".", "a.b.c"), 1)
    Replace   = replace("shop_${var.env}_x", "_", "-")
    Regex     = regex("[0-9]+", "release-2024-x")
    Title     = title("hello world")
    Trim      = trimspace("  t  ")
    Cidr      = cidrsubnet(var.cidr, 4, 3)
    Host      = cidrhost(var.cidr, 10)
    Netmask   = cidrnetmask(var.cidr)
    Lookup    = lookup(local.ports, "web", 0)
    Max       = max(3, 9, 4)
    Ceil      = ceil(2.1)
    Keys      = join(",", keys(local.ports))
    Zipped    = local.by_name["web"]
    Formatted = join(";", formatlist("%s=%d", local.names, [1, 2, 3]))
    Md5       = md5("parity")
    Sha1      = sha1("parity")
    B64       = base64encode("parity")
    Json      = jsonencode({ b = [1, 2], a = "x" })
    Yaml      = yamlencode({ a = 1 })
    Cond      = var.env == "prod" ? "big" : "small"
    Heredoc   = trimspace(<<-EOT
      line ${var.env}
      second
    EOT
    )
    Tmpl      = "%{for n in local.names}${n},%{endfor}"
    Coalesce  = coalesce("", "fallback")
    Substr    = substr("abcdef", 1, 3)
    Reverse   = join("", reverse(["a", "b", "c"]))
    Sort      = join(",", sort(["b", "c", "a"]))
    Distinct  = length(distinct([1, 1, 2]))
    Flatten   = length(flatten([[1], [2, 3]]))
    Range     = join(",", range(3))
    Contains  = contains(local.names, "web")
    Try       = try(local.ports["nope"], "missing")
    Can       = can(regex("^x", "abc"))
    Timeadd   = timeadd("2024-01-01T00:00:00Z", "36h")
    Formatd   = formatdate("YYYY-MM-DD", "2024-03-05T10:00:00Z")
    Strrev    = strrev("abc")
    Startswith = startswith("parity", "par")
    Sum       = sum([1, 2, 3.5])
    Pow       = pow(2, 10)
    Parseint  = parseint("ff", 16)
  }
}

resource "aws_security_group_rule" "r" {
  for_each          = local.ports
  type              = "ingress"
  from_port         = each.value
  to_port           = each.value + 1
  protocol          = "tcp"
  cidr_blocks       = [cidrsubnet(var.cidr, 8, index(local.names, each.key))]
  security_group_id = "sg-12345678"
  description       = "${each.key} on ${each.value}"
}

resource "aws_iam_role" "role" {
  name = "shop-${var.env}-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  max_session_duration = 3600 * 2
}
