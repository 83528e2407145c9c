resource "aws_s3_bucket" "b" {
 bucket = length([for i in range(1024): length([for j in range(1024): length([for k in range(1024): length([for l in range(1024): 1])])])])
}
