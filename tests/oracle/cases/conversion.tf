# Type conversion functions.
# The built-in provider's functions (provider::terraform::*) need it declared;
# it is part of Terraform, init downloads nothing.
terraform {
  required_providers {
    terraform = { source = "terraform.io/builtin/terraform" }
  }
}

locals {
  conversion_can_true        = can(tonumber("1"))
  conversion_can_false       = can(tonumber("x"))
  conversion_can_index       = can({ a = 1 }.b)
  conversion_try_first       = try(tonumber("x"), "fallback")
  conversion_try_ok          = try(tonumber("5"), "fallback")
  conversion_try_attr        = try({ a = 1 }.b, "none")
  conversion_nonsensitive    = nonsensitive(sensitive("secret"))
  conversion_issensitive     = issensitive(sensitive("x"))
  conversion_issensitive_no  = issensitive("x")
  conversion_tobool_str      = tobool("true")
  conversion_tobool_null     = tobool(null)
  conversion_tolist          = tolist(["a", "b", "c"])
  conversion_tolist_mixed    = tolist(["a", 1, true])
  conversion_tomap           = tomap({ a = 1, b = 2 })
  conversion_tomap_mixed     = tomap({ a = "foo", b = true })
  conversion_tonumber_str    = tonumber("1.5")
  conversion_tonumber_exp    = tonumber("1e2")
  conversion_tonumber_null   = tonumber(null)
  conversion_toset           = toset(["a", "b", "c", "a"])
  conversion_toset_mixed     = toset(["a", 1])
  conversion_tostring_num    = tostring(1.5)
  conversion_tostring_bool   = tostring(true)
  conversion_tostring_int    = tostring(10)
  conversion_tostring_null   = tostring(null)
  conversion_string_to_bool  = "true" == tostring(true)
  conversion_implicit_concat = "n=${1 + 1}"
  conversion_implicit_bool   = "${true}"
  conversion_implicit_float  = "${1.0}"
  conversion_implicit_div    = "${10 / 4}"
  conversion_implicit_big    = "${100000000000000000000}"
  conversion_implicit_small  = "${0.000001}"
  conversion_tostring_frac   = tostring(1 / 3)
  conversion_tobool_false    = tobool("false")
  conversion_tobool_bool     = tobool(true)
  conversion_tolist_set      = tolist(toset([3, 1, 2]))
  conversion_tolist_empty    = tolist([])
  conversion_tomap_empty     = tomap({})
  conversion_tomap_nested    = tomap({ a = [1], b = [] })
  conversion_toset_empty     = toset([])
  conversion_toset_numbers   = toset([10, 9, 100, 9])
  conversion_toset_bools     = toset([true, false])
  conversion_tonumber_int    = tonumber("42")
  conversion_tonumber_neg    = tonumber("-0.5")
  conversion_tonumber_num    = tonumber(7)
  conversion_tostring_str    = tostring("s")
  conversion_tostring_big    = tostring(1e21)
  conversion_tostring_2p53   = tostring(9007199254740993)
  conversion_tostring_sum    = tostring(0.1 + 0.2)
  conversion_tostring_neg0   = tostring(-0)
  conversion_tostring_small  = tostring(0.000001)
  conversion_tostring_exp    = tostring(1e-7)
  conversion_implicit_third  = "${1 / 3}"
  conversion_implicit_sum    = "${0.1 + 0.2}x"
  conversion_implicit_1e21   = "${1e21}x"
  conversion_implicit_2p53   = "${9007199254740993}x"
  conversion_try_many        = try({ a = 1 }.x, tonumber("y"), "third")
  conversion_try_null        = try(null, "x")
  conversion_can_list_index  = can(["a"][3])
  conversion_can_null_attr   = can(null.a)
  conversion_list_to_set_dup = length(toset([1, "1"]))
  conversion_ephemeralasnull = ephemeralasnull("not ephemeral")
  conversion_encode_expr     = provider::terraform::encode_expr({ a = [1, "b"], c = null })
  conversion_encode_tfvars   = provider::terraform::encode_tfvars({ region = "eu-west-1", n = 3 })
  conversion_decode_tfvars   = provider::terraform::decode_tfvars("a = 1\nb = \"x\"")
}
