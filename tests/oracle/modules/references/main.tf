# References to resources: an argument the configuration sets is known at
# plan time (by instance key too); one the provider computes is not.
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

resource "aws_s3_bucket" "logs" {
  bucket = "shop-${var.env}-logs"
}

resource "terraform_data" "cfg" {
  input = { size = 3, name = "cfg" }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "s" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}

resource "aws_iam_role" "r" {
  for_each           = { api = "shop-api", web = "shop-web" }
  name               = "${each.value}-${var.env}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "aws_s3_bucket" "user" {
  bucket = "${aws_s3_bucket.logs.bucket}-copy"
  tags = {
    Size    = terraform_data.cfg.input.size
    Subnet0 = aws_subnet.s[0].cidr_block
    Subnet1 = aws_subnet.s[1].cidr_block
    Role    = aws_iam_role.r["web"].name
    Vpc     = aws_vpc.main.cidr_block
  }
}
