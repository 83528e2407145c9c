//! Terraform's numbers past a 64-bit float: cty holds every number as a Go
//! `big.Float` of 512 bits of mantissa, rounded to nearest even, and prints
//! it with `Text('f', -1)` (the shortest decimal that reads back to the same
//! 512-bit number). So `0.1 + 0.2` is `0.3`, `9007199254740992 + 1` is
//! `9007199254740993` and `1 / 3` has 155 digits.
//!
//! Numbers in configurations are almost all small integers, so a value is a
//! [`super::Value::Number`] (an `f64`) whenever the 512-bit number is exactly
//! a 64-bit float, and a [`super::Value::BigNumber`] holding a [`BigFloat`]
//! only when it is not ([`BigFloat::into_value`] keeps that invariant, so two
//! equal numbers always have the same representation).

use std::cmp::Ordering;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};

/// Bits of mantissa, as cty's `big.Float`s (`cty.ParseNumberVal`).
pub const PRECISION: u64 = 512;

/// A finite binary float: `(-1)^neg × mant × 2^exp`, `mant` odd (no trailing
/// zero bits) and at most [`PRECISION`] bits, so equal numbers are equal
/// structurally. Zero is never held here (it is an `f64`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigFloat {
    neg: bool,
    mant: BigUint,
    exp: i64,
}

/// Decimal exponents past this stay 64-bit floats (an infinity or zero):
/// `1e100000000` would otherwise build a hundred-million-digit integer.
const MAX_DECIMAL_EXP: i64 = 4000;

impl BigFloat {
    /// `mant × 2^exp` rounded to `prec` bits, to nearest even.
    fn round(neg: bool, mut mant: BigUint, mut exp: i64, prec: u64) -> BigFloat {
        let bits = mant.bits();
        if bits > prec {
            let shift = bits - prec;
            let half = mant.bit(shift - 1);
            // Any bit below the half bit set: more than half.
            let sticky = mant.trailing_zeros().is_some_and(|tz| tz < shift - 1);
            mant >>= shift;
            exp += shift as i64;
            if half && (sticky || mant.bit(0)) {
                mant += 1u32;
            }
        }
        if let Some(tz) = mant.trailing_zeros() {
            mant >>= tz;
            exp += tz as i64;
        }
        BigFloat { neg, mant, exp }
    }

    pub fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// The exact value of a finite float.
    pub fn from_f64(x: f64) -> BigFloat {
        if x == 0.0 || !x.is_finite() {
            return BigFloat {
                neg: x.is_sign_negative(),
                mant: BigUint::zero(),
                exp: 0,
            };
        }
        let bits = x.to_bits();
        let neg = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), biased - 1075)
        };
        BigFloat::round(neg, BigUint::from(mant), exp, PRECISION)
    }

    /// An integer, exactly.
    pub fn from_i128(i: i128) -> BigFloat {
        BigFloat::round(i < 0, BigUint::from(i.unsigned_abs()), 0, PRECISION)
    }

    /// The nearest 64-bit float (ties to even; an infinity past its range).
    pub fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return if self.neg { -0.0 } else { 0.0 };
        }
        let r = BigFloat::round(self.neg, self.mant.clone(), self.exp, 53);
        // At most 53 bits: exact as an f64.
        let mut x = r.mant.to_u64().unwrap_or(u64::MAX) as f64;
        let mut e = r.exp;
        while e > 1000 {
            x *= 2f64.powi(1000);
            e -= 1000;
            if x.is_infinite() {
                break;
            }
        }
        while e < -1000 {
            x *= 2f64.powi(-1000);
            e += 1000;
            if x == 0.0 {
                break;
            }
        }
        x *= 2f64.powi(e as i32);
        if self.neg {
            -x
        } else {
            x
        }
    }

    /// Keep the fast representation when the number is exactly an `f64`.
    pub fn into_value(self) -> super::Value {
        let f = self.to_f64();
        if f.is_finite() && BigFloat::from_f64(f) == self {
            super::Value::Number(f)
        } else {
            super::Value::BigNumber(Box::new(self))
        }
    }

    /// A decimal literal as cty reads it (`big.ParseFloat(s, 10, 512,
    /// ToNearestEven)`): `[+-]digits[.digits][e[+-]digits]`. None for any
    /// other text, and for exponents so large the caller should fall back
    /// to a 64-bit float.
    pub fn parse(text: &str) -> Option<BigFloat> {
        let (neg, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exp10) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = format!("{int}{frac}");
        let digits = digits.trim_start_matches('0');
        let exp10 = exp10.checked_sub(frac.len() as i64)?;
        if digits.is_empty() {
            return Some(BigFloat {
                neg,
                mant: BigUint::zero(),
                exp: 0,
            });
        }
        if (exp10 + digits.len() as i64).abs() > MAX_DECIMAL_EXP {
            return None;
        }
        let n: BigUint = digits.parse().ok()?;
        Some(if exp10 >= 0 {
            BigFloat::round(neg, n * pow10(exp10 as u64), 0, PRECISION)
        } else {
            // n / 10^k = n / 5^k × 2^-k
            let k = exp10.unsigned_abs();
            let q = divide(neg, n, 0, &BigUint::from(5u32).pow(k as u32), 0);
            BigFloat {
                exp: q.exp - k as i64,
                ..q
            }
        })
    }

    pub fn abs(mut self) -> BigFloat {
        self.neg = false;
        self
    }

    pub fn negate(mut self) -> BigFloat {
        self.neg = !self.neg;
        self
    }

    pub fn add(&self, other: &BigFloat) -> BigFloat {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        let e = self.exp.min(other.exp);
        let a = &self.mant << (self.exp - e) as u64;
        let b = &other.mant << (other.exp - e) as u64;
        if self.neg == other.neg {
            return BigFloat::round(self.neg, a + b, e, PRECISION);
        }
        match a.cmp(&b) {
            Ordering::Equal => BigFloat {
                neg: false,
                mant: BigUint::zero(),
                exp: 0,
            },
            Ordering::Greater => BigFloat::round(self.neg, a - b, e, PRECISION),
            Ordering::Less => BigFloat::round(other.neg, b - a, e, PRECISION),
        }
    }

    pub fn sub(&self, other: &BigFloat) -> BigFloat {
        self.add(&other.clone().negate())
    }

    pub fn mul(&self, other: &BigFloat) -> BigFloat {
        BigFloat::round(
            self.neg != other.neg,
            &self.mant * &other.mant,
            self.exp + other.exp,
            PRECISION,
        )
    }

    /// None when `other` is zero (the caller keeps cty's infinities).
    pub fn div(&self, other: &BigFloat) -> Option<BigFloat> {
        if other.is_zero() {
            return None;
        }
        Some(divide(
            self.neg != other.neg,
            self.mant.clone(),
            self.exp,
            &other.mant,
            other.exp,
        ))
    }

    /// The integer part, rounded toward zero (Go's `big.Float.Int`).
    pub fn trunc(&self) -> BigFloat {
        if self.exp >= 0 || self.is_zero() {
            return self.clone();
        }
        let shift = self.exp.unsigned_abs();
        BigFloat::round(self.neg, &self.mant >> shift, 0, PRECISION)
    }

    /// cty's `Modulo` for finite operands: `a - b × trunc(a / b)`; `a % 0`
    /// is `a`.
    pub fn modulo(&self, other: &BigFloat) -> BigFloat {
        match self.div(other) {
            None => self.clone(),
            Some(q) => self.sub(&other.mul(&q.trunc())),
        }
    }

    pub fn compare(&self, other: &BigFloat) -> Ordering {
        let sign = |x: &BigFloat| {
            if x.is_zero() {
                0
            } else if x.neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let e = self.exp.min(other.exp);
        let a = &self.mant << (self.exp - e) as u64;
        let b = &other.mant << (other.exp - e) as u64;
        if sa > 0 {
            a.cmp(&b)
        } else {
            b.cmp(&a)
        }
    }

    pub fn is_integer(&self) -> bool {
        self.exp >= 0 || self.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.neg && !self.is_zero()
    }

    /// The exact value of an integral number, None for a fraction.
    pub fn to_integer_text(&self) -> Option<String> {
        if !self.is_integer() {
            return None;
        }
        let n = &self.mant << self.exp.max(0) as u64;
        Some(format!("{}{n}", if self.neg { "-" } else { "" }))
    }

    /// Go's `big.Float.Text('f', -1)` at 512 bits: the shortest decimal that
    /// rounds back to this number, in plain notation (never an exponent).
    pub fn text(&self) -> String {
        let sign = if self.neg { "-" } else { "" };
        if self.is_zero() {
            return format!("{sign}0");
        }
        let mut d = Decimal::exact(&self.mant, self.exp);
        round_shortest(&mut d, &self.mant, self.exp);
        format!("{sign}{}", d.fixed())
    }
}

fn pow10(n: u64) -> BigUint {
    BigUint::from(10u32).pow(n as u32)
}

/// `(a × 2^ea) / (b × 2^eb)` rounded to [`PRECISION`] bits: the quotient
/// with two bits to spare, and a sticky bit for a non-zero remainder.
fn divide(neg: bool, a: BigUint, ea: i64, b: &BigUint, eb: i64) -> BigFloat {
    let want = PRECISION + 2;
    let k = (want + b.bits()).saturating_sub(a.bits()) as i64;
    let num = a << k as u64;
    let (mut q, r) = (&num / b, &num % b);
    let mut exp = ea - eb - k;
    if !r.is_zero() {
        q = (q << 1u32) | BigUint::one();
        exp -= 1;
    }
    BigFloat::round(neg, q, exp, PRECISION)
}

/// A decimal number `0.digits × 10^exp`, digits without trailing zeros (Go's
/// `strconv`/`math/big` `decimal`).
struct Decimal {
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// The exact decimal value of `mant × 2^exp`.
    fn exact(mant: &BigUint, exp: i64) -> Decimal {
        let (n, point) = if exp >= 0 {
            (mant << exp as u64, 0)
        } else {
            let k = exp.unsigned_abs();
            (mant * BigUint::from(5u32).pow(k as u32), k as i64)
        };
        let mut digits = n.to_string().into_bytes();
        let exp = digits.len() as i64 - point;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal { digits, exp }
    }

    fn at(&self, i: usize) -> u8 {
        self.digits.get(i).copied().unwrap_or(b'0')
    }

    fn round_down(&mut self, n: usize) {
        self.digits.truncate(n);
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
    }

    fn round_up(&mut self, n: usize) {
        self.digits.truncate(n);
        while let Some(last) = self.digits.last_mut() {
            if *last < b'9' {
                *last += 1;
                return;
            }
            self.digits.pop();
        }
        // All nines: 0.999 becomes 1.
        self.digits.push(b'1');
        self.exp += 1;
    }

    fn round(&mut self, n: usize) {
        let up = match self.digits.get(n) {
            Some(b'5') if n + 1 == self.digits.len() => {
                n > 0 && (self.digits[n - 1] - b'0') % 2 == 1
            }
            Some(&d) => d >= b'5',
            None => false,
        };
        if up {
            self.round_up(n)
        } else {
            self.round_down(n)
        }
    }

    /// `%f` with as many fraction digits as the number has.
    fn fixed(&self) -> String {
        let mut out = String::new();
        if self.exp > 0 {
            for i in 0..self.exp as usize {
                out.push(self.at(i) as char);
            }
        } else {
            out.push('0');
        }
        let frac = self.digits.len() as i64 - self.exp;
        if frac > 0 {
            out.push('.');
            for i in 0..frac {
                let at = self.exp + i;
                out.push(if at < 0 {
                    '0'
                } else {
                    self.at(at as usize) as char
                });
            }
        }
        out
    }
}

/// Go's `roundShortest` (math/big/ftoa.go): shorten `d`, the exact value of
/// `mant × 2^exp`, to the fewest digits that still lie within half an ulp
/// (at [`PRECISION`] bits) of it.
fn round_shortest(d: &mut Decimal, mant: &BigUint, exp: i64) {
    // A mantissa of PRECISION + 1 bits whose last bit is half an ulp.
    let shift = PRECISION as i64 + 1 - mant.bits() as i64;
    let m = mant << shift as u64;
    let e = exp - shift;
    let lower = Decimal::exact(&(&m - 1u32), e);
    let upper = Decimal::exact(&(&m + 1u32), e);
    // The bounds round to this number only when its mantissa is even.
    let inclusive = !m.bit(1);
    // The bounds may start at another decimal exponent than d (0.99.. vs
    // 1.00..): compare digit by digit at the same place value.
    let lower_at = |i: usize| digit_at(&lower, d.exp, i);
    let upper_at = |i: usize| digit_at(&upper, d.exp, i);
    let lower_len = (lower.digits.len() as i64 - (lower.exp - d.exp)).max(0) as usize;
    let upper_len = (upper.digits.len() as i64 - (upper.exp - d.exp)).max(0) as usize;
    for i in 0..d.digits.len() {
        let (l, u, c) = (lower_at(i), upper_at(i), d.digits[i]);
        let okdown = l != c || inclusive && i + 1 == lower_len;
        let okup = c != u && (inclusive || c + 1 < u || i + 1 < upper_len);
        match (okdown, okup) {
            (true, true) => return d.round(i + 1),
            (true, false) => return d.round_down(i + 1),
            (false, true) => return d.round_up(i + 1),
            (false, false) => {}
        }
    }
}

/// Digit `i` of `x` counted at the place values of a decimal whose exponent
/// is `exp`.
fn digit_at(x: &Decimal, exp: i64, i: usize) -> u8 {
    let j = i as i64 - (exp - x.exp);
    if j < 0 {
        b'0'
    } else {
        x.at(j as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> BigFloat {
        BigFloat::parse(s).expect("number")
    }

    #[test]
    fn sums_and_products_round_at_512_bits() {
        assert_eq!(p("0.1").add(&p("0.2")).text(), "0.3");
        // 1.1 at 512 bits, squared, is one ulp above 1.21 at 512 bits (as in
        // Terraform: the shortest digits tell them apart).
        assert_eq!(
            p("1.1").mul(&p("1.1")).text(),
            format!("1.21{}1", "0".repeat(151))
        );
        assert_eq!(
            p("9007199254740992").add(&p("1")).text(),
            "9007199254740993"
        );
        assert_eq!(
            p("1").div(&p("3")).map(|q| q.text()).as_deref(),
            Some("0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335")
        );
        assert_eq!(p("-2.5").text(), "-2.5");
        assert_eq!(p("1e21").text(), "1000000000000000000000");
        assert_eq!(p("0.0000001").text(), "0.0000001");
        assert_eq!(p("7").modulo(&p("-3")).text(), "1");
    }

    #[test]
    fn compares_exactly() {
        assert_eq!(p("0.1").add(&p("0.2")).compare(&p("0.3")), Ordering::Equal);
        assert_eq!(
            p("9007199254740993").compare(&p("9007199254740992")),
            Ordering::Greater
        );
        assert_eq!(p("-1").compare(&p("0.5")), Ordering::Less);
    }

    #[test]
    fn f64_round_trips() {
        for x in [1.0, 0.1, -3.5, 1e300, 5e-324, 9007199254740992.0] {
            assert_eq!(BigFloat::from_f64(x).to_f64(), x);
        }
        assert_eq!(p("9007199254740993").to_f64(), 9007199254740992.0);
        assert_eq!(p("0.1").to_f64(), 0.1);
    }
}
