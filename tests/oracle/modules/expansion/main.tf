# Expansion and expressions: count, for_each, dynamic blocks, splats,
# conditionals, module calls with outputs.
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

variable "zones" {
  default = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}
variable "ports" {
  default = { http = 80, https = 443 }
}
variable "prod" {
  default = false
}

locals {
  name  = "shop-${var.prod ? "prod" : "staging"}"
  cidrs = [for i, z in var.zones : cidrsubnet("10.1.0.0/16", 8, i)]
}

resource "aws_vpc" "v" {
  cidr_block           = "10.1.0.0/16"
  enable_dns_hostnames = var.prod ? true : "false"
  tags                 = { Name = local.name, Zones = join(",", var.zones) }
}

resource "aws_subnet" "z" {
  for_each          = toset(var.zones)
  vpc_id            = aws_vpc.v.id
  availability_zone = each.key
  cidr_block        = local.cidrs[index(var.zones, each.key)]
  tags              = { Name = "${local.name}-${each.key}" }
}

resource "aws_security_group" "web" {
  name   = "${local.name}-web"
  vpc_id = aws_vpc.v.id
  dynamic "ingress" {
    for_each = var.ports
    content {
      description = ingress.key
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}

module "bucket" {
  source = "./bucket"
  count  = 2
  name   = "${local.name}-${count.index}"
}

resource "terraform_data" "outs" {
  input = {
    names = module.bucket[*].name
    first = module.bucket[0].name
    n     = length(module.bucket)
  }
}
