# Hash and crypto functions (uuid(), bcrypt() are not deterministic and are not recorded).
locals {
  crypto_base64sha256  = base64sha256("hello world")
  crypto_base64sha512  = base64sha512("hello world")
  crypto_md5           = md5("hello world")
  crypto_md5_empty     = md5("")
  crypto_sha1          = sha1("hello world")
  crypto_sha256        = sha256("hello world")
  crypto_sha256_utf8   = sha256("ß")
  crypto_sha512        = sha512("hello world")
  crypto_uuidv5_dns    = uuidv5("dns", "www.terraform.io")
  crypto_uuidv5_url    = uuidv5("url", "https://www.terraform.io/")
  crypto_uuidv5_custom = uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.terraform.io")
  crypto_uuid_length   = length(uuid())
}
