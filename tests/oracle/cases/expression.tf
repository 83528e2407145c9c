# Expression forms: operators, conditionals, for, splat, index, templates, heredocs, escapes, numbers.
locals {
  _list = ["a", "b", "c"]
  _map  = { x = 1, y = 2, z = 3 }
  _objs = [{ name = "a", n = 1, tags = { t = "1" } }, { name = "b", n = 2, tags = { t = "2" } }]
  _omap = { k1 = { name = "a" }, k2 = { name = "b" } }
  _set  = toset(["q", "p"])

  expression_add             = 1 + 2
  expression_sub             = 5 - 7
  expression_mul             = 3 * 4
  expression_div             = 7 / 2
  expression_mod             = 7 % 3
  expression_mod_neg         = -7 % 3
  expression_mod_float       = 5.5 % 2
  expression_neg             = -(3)
  expression_precedence      = 1 + 2 * 3 - 4 / 2
  expression_parens          = (1 + 2) * 3
  expression_float_sum       = 0.1 + 0.2
  expression_float_mul       = 1.1 * 1.1
  expression_big_int         = 9007199254740993
  expression_big_int_add     = 9007199254740992 + 1
  expression_big_mul         = 1e20 * 10
  expression_tiny            = 1e-7
  expression_string_number   = "5" + 1
  expression_eq_num          = 1 == 1.0
  expression_eq_str_num      = "1" == 1
  expression_eq_list         = [1, 2] == [1, 2]
  expression_eq_map          = { a = 1 } == { a = 1 }
  expression_neq             = "a" != "b"
  expression_lt              = 1 < 2
  expression_le              = 2 <= 2
  expression_gt              = 3 > 4
  expression_ge              = 4 >= 4
  expression_and             = true && false
  expression_or              = true || false
  expression_not             = !true
  expression_null_eq         = null == null
  expression_cond            = 1 > 0 ? "yes" : "no"
  expression_cond_unify      = true ? 1 : "x"
  expression_cond_unify_f    = false ? 1 : "x"
  expression_cond_bool_str   = true ? true : "x"
  expression_cond_null       = false ? "a" : null
  expression_cond_list       = true ? ["a"] : []
  expression_cond_nested     = 5 > 3 ? (2 > 1 ? "a" : "b") : "c"
  expression_for_list        = [for s in local._list : upper(s)]
  expression_for_list_idx    = [for i, s in local._list : "${i}:${s}"]
  expression_for_list_if     = [for s in local._list : s if s != "b"]
  expression_for_map         = { for k, v in local._map : k => v * 2 }
  expression_for_map_if      = { for k, v in local._map : k => v if v > 1 }
  expression_for_map_to_list = [for k, v in local._map : "${k}=${v}"]
  expression_for_set         = [for s in local._set : s]
  expression_for_list_to_map = { for s in local._list : s => upper(s) }
  expression_for_group       = { for o in concat(local._objs, [{ name = "a", n = 3, tags = {} }]) : o.name => o.n... }
  expression_for_nested      = flatten([for a in ["x", "y"] : [for b in [1, 2] : "${a}${b}"]])
  expression_for_object_key  = { for o in local._objs : o.name => o }
  expression_for_string_keys = [for k in keys({ b = 1, a = 2 }) : k]
  expression_splat_list      = local._objs[*].name
  expression_splat_nested    = local._objs[*].tags.t
  expression_splat_legacy    = local._objs.*.n
  expression_splat_single    = { name = "solo" }[*].name
  expression_splat_null      = length(null[*])
  expression_index_list      = local._list[1]
  expression_index_map       = local._map["y"]
  expression_attr_map        = local._map.z
  expression_attr_nested     = local._omap.k2.name
  expression_index_nested    = local._objs[0].tags["t"]
  expression_index_str_key   = local._list["2"]
  expression_tuple_mixed     = [1, "a", true, null]
  expression_object_mixed    = { a = 1, "b" = "two", c = [true] }
  expression_object_key_expr = { (local._list[0]) = 1 }
  expression_expand          = max(local._map["x"], [5, 6]...)
  expression_template_if     = "a%{if true}b%{else}c%{endif}d"
  expression_template_if_no  = "a%{if false}b%{endif}d"
  expression_template_for    = "%{for s in local._list}${s},%{endfor}"
  expression_template_for_kv = "%{for k, v in local._map}${k}=${v};%{endfor}"
  expression_template_strip  = "x %{~if true~} y %{~endif~} z"
  expression_template_nested = "${"inner ${upper("x")}"}"
  expression_template_only   = "${5}"
  expression_escape_dollar   = "$${not} %%{not}"
  expression_escape_chars    = "tab\tnew\nquote\"back\\"
  expression_escape_unicode  = "\u00e9\U0001F600"
  expression_dollar_alone    = "cost: $5 and 100%"
  expression_heredoc         = <<EOT
hello
  world
EOT
  expression_heredoc_dedent  = <<-EOT
    hello
      world
    EOT
  expression_heredoc_interp  = <<-EOT
    name: ${upper("x")}
    %{~ for s in local._list }
    - ${s}
    %{~ endfor }
    EOT
  expression_heredoc_empty_line = <<-EOT
    a

    b
    EOT
  expression_heredoc_tabs_spaces = <<-EOT
      deep
    shallow
    EOT
  expression_unicode_upper   = upper("straße")
  expression_unicode_length  = length("e\u0301")
  expression_unicode_nfc     = "e\u0301" == "\u00e9"
  expression_string_compare  = "abc" == "abc"
  expression_list_of_maps    = [for o in local._objs : { (o.name) = o.n }]
  expression_null_attr       = { a = null }
  expression_empty_object    = {}
  expression_empty_tuple     = []
  expression_bool_list       = [true, false]
  expression_number_key      = { 1 = "one" }
  expression_numeric_string  = "007"
  expression_interp_list_idx = "${local._list[0]}-${local._map.x}"
  expression_cond_unify_list = true ? [1] : ["a"]
  expression_cond_obj_map    = true ? { a = 1 } : { b = "x" }
  expression_cond_null_obj   = true ? null : { a = 1 }
  expression_cond_num_str    = false ? "5" : 3
  expression_eq_tuple_list   = [1] == tolist([1])
  expression_eq_obj_map      = { a = 1 } == tomap({ a = 1 })
  expression_eq_bool_str     = true == "true"
  expression_eq_null_false   = null == false
  expression_eq_nested       = { a = [1, { b = "c" }] } == { a = [1, { b = "c" }] }
  expression_neq_types       = 1 != "1"
  expression_lt_float        = 0.1 + 0.2 > 0.3
  expression_str_arith       = "2" * "3"
  expression_bool_and_str    = "true" && true
  expression_for_empty       = [for x in [] : x]
  expression_for_set_if      = [for s in local._set : upper(s) if s != "q"]
  expression_for_set_index   = { for i, v in local._set : i => v }
  expression_for_map_order   = [for k, v in { b = 1, B = 2, a = 3 } : k]
  expression_for_map_keys_num = { for n in [1, 2] : n => n * n }
  expression_for_tuple_mixed = [for v in [1, "a", true] : tostring(v)]
  expression_for_index_only  = [for i, v in ["x", "y"] : i]
  expression_for_grouping_if = { for o in local._objs : o.tags.t => o.name... if o.n > 0 }
  expression_for_obj_values  = [for o in local._omap : o.name]
  expression_splat_set       = toset(["b", "a"])[*]
  expression_splat_index     = local._objs[*].tags["t"]
  expression_splat_empty     = [][*].a
  expression_splat_lists     = [[1, 2], [3]][*][0]
  expression_splat_full_attr = [for o in local._objs : o][*].n
  expression_index_jsondecode = jsondecode("{\"a\": [10, 20]}").a[1]
  expression_index_float_key = local._list[1.0]
  expression_attr_quoted_key = { "a-b" = 1 }["a-b"]
  expression_template_if_else_for = "%{for n in [1, 2, 3]}%{if n % 2 == 0}even%{else}odd%{endif} %{endfor}"
  expression_template_for_idx = "%{for i, s in local._list}${i}${s}%{endfor}"
  expression_template_strip_nl = "a\n  %{~ if true ~}\n  b\n  %{~ endif ~}\n  c"
  expression_template_number = "${1.50}"
  expression_template_null_cond = "${null == null ? "n" : "x"}"
  expression_escape_double_dollar = "a$$b"
  expression_escape_double_percent = "100%%"
  expression_escape_cr       = "a\r\nb"
  expression_escape_literal_brace = "$${a} and %%{b} and $"
  expression_heredoc_escape  = <<-EOT
    cost: $${x} %%{y}
    EOT
  expression_heredoc_strip   = <<-EOT
    %{ for s in ["a", "b"] ~}
    item ${s}
    %{ endfor ~}
    done
    EOT
  expression_heredoc_if      = <<EOT
%{ if true }yes%{ else }no%{ endif }
EOT
  expression_heredoc_mixed_indent = <<-EOT
        eight
      six
    EOT
  expression_heredoc_tab     = <<-EOT
	tab
	EOT
  expression_heredoc_trailing_space = <<-EOT
    a  
    EOT
  expression_heredoc_no_trailing_nl = chomp(<<EOT
x
EOT
  )
  expression_unicode_escape_upper = "\U0001F600" == "😀"
  expression_unicode_compose_upper = upper("e\u0301")
  expression_object_nested_access = { a = { b = { c = "deep" } } }.a.b.c
  expression_list_index_expr = ["a", "b", "c"][1 + 1]
  expression_neg_number      = -1.5 * -2
  expression_paren_string    = ("a")
  expression_long_chain      = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10
  expression_bool_precedence = true || false && false
  expression_not_precedence  = !false == true
  expression_compare_chain   = 1 < 2 == true
}
