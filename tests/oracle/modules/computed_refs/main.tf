# References to arguments the configuration sets, reached through a
# computed key (`count.index`, `each.key`), a splat, a `for` or
# `values(...)`: known at plan time as through a literal key; the
# attributes the provider computes (`id`, `arn`) are not.
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

resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_subnet" "s" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  tags       = { Name = "${var.env}-s${count.index}" }
}

resource "aws_iam_role" "r" {
  for_each           = { api = "shop-api", web = "shop-web" }
  name               = "${each.value}-${var.env}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

# count.index into another counted resource.
resource "aws_s3_bucket" "per_subnet" {
  count  = 2
  bucket = "shop-${var.env}-subnet-${count.index}"
  tags = {
    Cidr = aws_subnet.s[count.index].cidr_block
    Name = aws_subnet.s[count.index].tags["Name"]
  }
}

# An attribute the provider computes stays unknown, by any key.
resource "terraform_data" "per_subnet" {
  count = 2
  input = { cidr = aws_subnet.s[count.index].cidr_block, id = aws_subnet.s[count.index].id }
}

# each.key and each.value over a for_each resource.
resource "aws_iam_role_policy" "p" {
  for_each = aws_iam_role.r
  name     = "${aws_iam_role.r[each.key].name}-policy"
  role     = each.value.name
  policy   = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "terraform_data" "per_role" {
  for_each = toset(keys(aws_iam_role.r))
  input    = { name = aws_iam_role.r[each.key].name, arn = aws_iam_role.r[each.key].arn }
}

# Splats, for expressions and values() over configured arguments.
resource "aws_s3_bucket" "summary" {
  bucket = "shop-${var.env}-summary"
  tags = {
    Cidrs    = join(",", aws_subnet.s[*].cidr_block)
    Legacy   = join(",", aws_subnet.s.*.cidr_block)
    ForCidrs = join(",", [for s in aws_subnet.s : s.cidr_block])
    ForIf    = join(",", [for i, s in aws_subnet.s : s.tags.Name if i > 0])
    Roles    = join(",", values(aws_iam_role.r)[*].name)
    ForRoles = join(",", [for k, r in aws_iam_role.r : "${k}=${r.name}"])
    Vpc      = one(aws_vpc.main[*].cidr_block)
    Count    = length(aws_subnet.s[*].cidr_block)
  }
}

resource "terraform_data" "lists" {
  input = {
    cidrs = aws_subnet.s[*].cidr_block
    names = [for r in values(aws_iam_role.r) : r.name]
    first = [for s in aws_subnet.s : s.cidr_block][0]
    by    = { for k, r in aws_iam_role.r : k => r.name }
    ids   = aws_subnet.s[*].id
    arns  = values(aws_iam_role.r)[*].arn
  }
}
