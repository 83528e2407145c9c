# Types: sets, lists, tuples, maps and objects, typed nulls, conversions
# (what the evaluator's `Value::Typed` decides: a `for` over a set binds
# the element as its key, `==` is false across types, a set has no index).
# Variables' attributes are indented four spaces so that record.sh does not
# take them for cases.
variable "types_set_var" {
    type    = set(string)
    default = ["b", "a", "b"]
}

variable "types_list_var" {
    type    = list(string)
    default = ["b", "a"]
}

variable "types_map_var" {
    type    = map(number)
    default = { b = 2, a = 1 }
}

variable "types_str_null" {
    type    = string
    default = null
}

locals {
  _tset  = toset(["c", "a", "b"])
  _tnset = toset([10, 2, 1])
  _tlist = tolist(["c", "a"])
  _tmap  = tomap({ b = 1, a = 2 })

  types_for_set_key         = [for k, v in local._tset : k]
  types_for_set_obj         = { for k, v in local._tset : k => upper(v) }
  types_for_set_numbers_key = [for k, v in local._tnset : k]
  types_for_set_numbers_obj = { for k, v in local._tnset : k => v * 2 }
  types_for_set_value       = [for v in local._tset : v]
  types_for_set_cond        = [for k, v in local._tset : "${k}=${v}" if v != "b"]
  types_for_set_group       = { for k, v in toset(["ab", "ac", "b"]) : substr(k, 0, 1) => v... }
  types_for_list_key        = [for i, v in local._tlist : i]
  types_for_map_key         = [for k, v in local._tmap : k]
  types_for_set_var         = { for k, v in var.types_set_var : k => v }
  types_for_list_var        = [for i, v in var.types_list_var : i]
  types_for_map_var         = [for k, v in var.types_map_var : "${k}${v}"]
  types_template_for_set    = "%{for k, v in local._tset}${k}:${v},%{endfor}"
  types_for_setunion        = [for k, v in setunion(["b"], ["a"]) : k]
  types_for_setproduct      = [for k, v in setproduct(toset(["a"]), toset(["y", "x"])) : join("-", k)]
  types_for_setproduct_list = [for k, v in setproduct(["a"], ["y", "x"]) : k]
  types_for_fileset         = { for k, v in fileset(path.module, "files/*.txt") : k => v }
  types_for_nested_set      = [for k, v in { a = toset(["y", "x"]) } : [for i, e in v : i]]
  types_for_each_like       = { for k, v in toset(["web", "db"]) : k => "${k}-${v}" }
  types_for_setsubtract     = [for k, v in setsubtract(["a", "b", "c"], ["b"]) : k]
  types_for_sorted_list     = [for i, v in sort(["b", "a"]) : i]

  types_eq_tuple_list       = ["a", "b"] == tolist(["a", "b"])
  types_eq_list_list        = tolist(["a"]) == tolist(["a"])
  types_eq_set_set          = toset(["a", "b"]) == toset(["b", "a"])
  types_eq_set_list         = toset(["a"]) == tolist(["a"])
  types_eq_set_tuple        = toset(["a"]) == ["a"]
  types_eq_map_map          = tomap({ a = 1 }) == tomap({ a = 1 })
  types_eq_obj_obj          = { a = 1 } == { a = 1 }
  types_ne_map_obj          = tomap({ a = 1 }) != { a = 1 }
  types_ne_set_list         = toset(["a"]) != tolist(["a"])
  types_eq_empty_tuple      = [] == []
  types_eq_empty_list_tuple = tolist([]) == []
  types_eq_empty_list_set   = tolist([]) == toset([])
  types_eq_empty_set_set    = toset([]) == toset([])
  types_eq_empty_map_obj    = {} == tomap({})
  types_eq_list_elem_types  = tolist([1]) == tolist(["1"])
  types_eq_tuple_typed_null = [tostring(null)] == [null]
  types_eq_obj_typed_null   = { a = null } == { a = tostring(null) }
  types_eq_typed_nulls      = tonumber(null) == tostring(null)
  types_eq_typed_null_null  = tostring(null) == null
  types_eq_typed_null_empty = tostring(null) == ""
  types_eq_set_var          = var.types_set_var == toset(["a", "b"])
  types_eq_list_var_tuple   = var.types_list_var == ["b", "a"]
  types_eq_list_var_list    = var.types_list_var == tolist(["b", "a"])
  types_eq_map_var          = var.types_map_var == tomap({ a = 1, b = 2 })
  types_eq_setunion         = setunion(["a"], ["b"]) == toset(["b", "a"])
  types_eq_distinct         = distinct(["a", "a"]) == tolist(["a"])
  types_eq_concat_tuple     = concat(["a"], ["b"]) == ["a", "b"]
  types_eq_concat_list      = concat(tolist(["a"]), tolist(["b"])) == tolist(["a", "b"])
  types_eq_keys_obj         = keys({ a = 1 }) == ["a"]
  types_eq_keys_map         = keys(tomap({ a = 1 })) == tolist(["a"])
  types_eq_merge_map        = merge(tomap({ a = 1 }), tomap({ b = 2 })) == tomap({ a = 1, b = 2 })
  types_eq_for_tuple        = [for v in toset(["a"]) : v] == ["a"]
  types_eq_for_object       = { for v in toset(["a"]) : v => v } == { a = "a" }
  types_eq_split            = split(",", "a,b") == tolist(["a", "b"])
  types_eq_range_tuple      = range(2) == [0, 1]
  types_eq_splat_set        = toset(["a"])[*] == tolist(["a"])
  types_eq_nested_set       = { s = toset(["a"]) } == { s = toset(["a"]) }
  types_eq_nested_set_tuple = { s = toset(["a"]) } == { s = ["a"] }
  types_eq_cond_list        = (true ? tolist(["a"]) : tolist(["b"])) == tolist(["a"])
  types_eq_number_string    = 1 == "1"

  types_null_format_string  = format("%v", tostring(null))
  types_null_format_number  = format("%v", tonumber(null))
  types_null_format_bool    = format("%v", tobool(null))
  types_null_format_list    = format("%v", tolist(null))
  types_null_format_var     = format("%v", var.types_str_null)
  types_null_format_s_try   = try(format("%s", tostring(null)), "error")
  types_null_jsonencode     = jsonencode(tostring(null))
  types_null_coalesce       = coalesce(tostring(null), "x")
  types_null_upper_try      = try(upper(tostring(null)), "error")
  types_null_cond           = tostring(null) == null ? "null" : "value"
  types_null_in_tuple       = [tostring(null), "a"]
  types_null_in_object      = { a = tonumber(null) }
  types_null_tolist         = tolist(null)
  types_null_tomap          = tomap(null)
  types_null_length_try     = try(length(tolist(null)), "error")

  types_conv_set_list_set   = toset(tolist(toset(["b", "a", "b"])))
  types_conv_list_set_order = tolist(toset(["b", "a", "c"]))
  types_conv_map_obj_map    = tomap(merge(tomap({ a = "1" }), { b = 2 }))
  types_conv_set_numbers    = tolist(toset([10, 9, 100]))
  types_conv_set_mixed      = tolist(toset([1, "a"]))
  types_conv_map_values     = values(tomap({ b = "2", a = 1 }))
  types_conv_list_of_sets   = [for s in [toset(["b", "a"]), toset(["c"])] : tolist(s)]
  types_conv_set_of_lists   = toset([["b"], ["a"]])
  types_conv_index_list     = tolist(toset(["b", "a"]))[0]
  types_conv_index_set_try  = try(toset(["a"])[0], "error")
  types_conv_index_set_can  = can(local._tset[0])
  types_conv_attr_map       = tomap({ a = "x" }).a
  types_conv_index_map      = tomap({ a = "x" })["a"]
  types_conv_splat_set      = toset(["b", "a"])[*]
  types_conv_cond_set       = true ? toset(["b", "a"]) : toset(["c"])
  types_conv_var_set        = var.types_set_var
  types_conv_var_map        = var.types_map_var

  types_length_set          = length(toset(["a", "b", "a"]))
  types_length_set_var      = length(var.types_set_var)
  types_length_setunion     = length(setunion(["a"], ["a", "b"]))
  types_length_map          = length(tomap({ a = 1, b = 2 }))
  types_contains_set        = contains(toset(["a", "b"]), "b")
  types_contains_set_no     = contains(toset(["a"]), "c")
  types_contains_set_var    = contains(var.types_set_var, "a")
  types_contains_list       = contains(tolist(["a"]), "a")
  types_sum_set             = sum(toset([1, 2, 2]))
  types_setintersection_len = length(setintersection(["a", "b"], ["b"]))
  types_one_set             = one(toset(["x", "x"]))
  types_flatten_sets        = flatten([toset(["b", "a"]), toset(["c"])])
  types_concat_set_try      = try(concat(toset(["a"]), ["b"]), "error")
  types_element_set_try     = try(element(toset(["a"]), 0), "error")
  types_sort_set            = sort(toset(["b", "a"]))
  types_join_set            = join(",", toset(["b", "a", "b"]))
}
