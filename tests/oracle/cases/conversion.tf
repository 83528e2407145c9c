# Type conversion functions.
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
}
