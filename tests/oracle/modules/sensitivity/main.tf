# Sensitivity marks: where Terraform marks a value computed from a
# sensitive one (sensitive_values in the plan), parity must redact it; where
# it does not, parity must show the same value.
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

variable "s" {
  type      = string
  default   = "Or4cle-Secret-value"
  sensitive = true
}
variable "plain" {
  type    = string
  default = "shop"
}
variable "settings" {
  type = object({ user = string, pass = string })
  default = { user = "app", pass = "Or4cle-Pass" }
}

module "child" {
  source = "./child"
  secret = var.s
  name   = var.plain
}

resource "aws_s3_bucket" "transforms" {
  bucket = "oracle-transforms"
  tags = {
    Upper   = upper(var.s)
    B64     = base64encode(var.s)
    Sub     = substr(var.s, 0, 6)
    Tmpl    = "x-${var.s}"
    Cond    = var.s != "" ? "yes" : "no"
    Made    = sensitive("made")
    Undone  = nonsensitive(upper(var.s))
    Plain   = var.plain
    Echo    = module.child.echo
    Clear   = module.child.clear
    Len     = length(var.s)
    User    = var.settings.user
  }
}

resource "aws_s3_bucket" "merged" {
  bucket = "oracle-merged"
  tags   = merge({ Team = "shop" }, { Token = var.s })
}

resource "aws_s3_bucket" "lookup" {
  bucket = "oracle-lookup"
  tags = {
    Looked = lookup({ a = var.s, b = "b" }, "b")
    Elem   = element([var.plain, var.s], 0)
    Joined = join(",", [var.plain, var.s])
  }
}

resource "aws_ssm_parameter" "json" {
  name  = "oracle-json"
  type  = "String"
  value = jsonencode({ k = var.s, p = var.plain })
}

resource "terraform_data" "forexpr" {
  input = [for c in split("-", var.s) : lower(c)]
}

resource "terraform_data" "obj" {
  input = { user = var.settings.user, pass = sensitive(var.settings.pass) }
}

# Sensitive by the provider's schema, whatever the value.
resource "aws_ssm_parameter" "plain" {
  name  = "oracle-plain"
  type  = "String"
  value = "not-a-secret"
}

resource "aws_db_instance" "db" {
  identifier          = "oracle-db"
  engine              = "postgres"
  engine_version      = "16.3"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  username            = var.settings.user
  password            = var.settings.pass
  skip_final_snapshot = true
  tags                = { Owner = var.settings.user }
}

resource "aws_iam_user" "u" {
  name = "oracle-user"
}

resource "aws_iam_access_key" "k" {
  user = aws_iam_user.u.name
}

resource "terraform_data" "from_key" {
  input = { user = aws_iam_access_key.k.user, id = aws_iam_access_key.k.id }
}
