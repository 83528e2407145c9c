# Numeric functions.
locals {
  numeric_abs_neg        = abs(-12.4)
  numeric_abs_zero       = abs(0)
  numeric_ceil           = ceil(5.1)
  numeric_ceil_neg       = ceil(-5.1)
  numeric_floor          = floor(4.9)
  numeric_floor_neg      = floor(-4.1)
  numeric_log            = log(16, 2)
  numeric_log_e          = log(1, 10)
  numeric_max            = max(12, 54, 3)
  numeric_max_expand     = max([12, 54, 3]...)
  numeric_min            = min(12, 54, 3)
  numeric_min_float      = min(1.5, 1.25)
  numeric_parseint       = parseint("100", 10)
  numeric_parseint_hex   = parseint("FF", 16)
  numeric_parseint_bin   = parseint("-10", 2)
  numeric_parseint_36    = parseint("zz", 36)
  numeric_pow            = pow(3, 2)
  numeric_pow_zero       = pow(4, 0)
  numeric_pow_frac       = pow(4, 0.5)
  numeric_signum_neg     = signum(-13)
  numeric_signum_zero    = signum(0)
  numeric_signum_pos     = signum(344)
  numeric_sum            = sum([10, 13, 6, 4.5])
  numeric_sum_float      = sum([0.1, 0.2])
  numeric_floor_neg_half = floor(-0.5)
  numeric_abs_float      = abs(-0.25)
  numeric_ceil_big       = ceil(1e20)
  numeric_pow_big        = pow(2, 60)
  numeric_pow_big_eq     = pow(2, 63) == 9223372036854775808
  numeric_pow_neg        = pow(2, -1)
  numeric_log_frac       = log(10, 100)
  numeric_max_float      = max(1, 1.5, -3)
  numeric_max_strings    = max("5", 3)
  numeric_min_neg        = min(-1, -10)
  numeric_parseint_big   = parseint("7fffffffffffffff", 16)
  numeric_parseint_upper = parseint("Zz", 36)
  numeric_signum_frac    = can(signum(-0.5))
  numeric_sum_big        = sum([9007199254740992, 1])
  numeric_sum_one        = sum([7])
  numeric_mul_big        = 9007199254740992 * 2
  numeric_div_third      = 1 / 3
  numeric_div_exact      = 10 / 5
  numeric_mod_big        = 10000000000000000 % 3
  numeric_neg_zero       = -0
  numeric_exponent       = 2.5e3
  numeric_small          = 0.000001
  # The literal -0 is a negative zero: equal to 0, printed "-0".
  numeric_neg0_eq        = -0 == 0
  numeric_neg0_float     = tostring(-0.0)
  numeric_neg0_spaced    = tostring(- 0)
  numeric_neg0_paren     = tostring(-(0))
  numeric_neg0_double    = tostring(-(-0))
  numeric_neg0_sub       = tostring(0 - 0)
  numeric_neg0_plus      = tostring(-0 + 0)
  numeric_neg0_times     = tostring(-0 * 1)
  numeric_neg0_abs       = tostring(abs(-0))
  numeric_neg0_max       = tostring(max(-0, 0))
  numeric_neg0_format    = format("%v", -0)
  numeric_neg0_template  = "${-0}"
  numeric_neg0_directive = "%{if true}${-0}%{endif}"
  numeric_neg0_heredoc   = <<-EOT
    ${-0}
  EOT
  numeric_neg0_key       = jsonencode({ (tostring(-0)) = 1 })
  numeric_neg0_list      = jsonencode([-0, - 0, -00, -0e5, -0.000])
  numeric_neg0_cond      = -0 == 0 ? "eq" : "ne"
  numeric_neg0_signum    = tostring(signum(-0))
  numeric_neg0_expr      = provider::terraform::encode_expr(-0)
}
