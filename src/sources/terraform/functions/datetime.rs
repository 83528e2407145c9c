//! Terraform's date and time functions. The clock differs on every run, so
//! `timestamp` and `plantimestamp` are unknown. `formatdate`, `timeadd` and
//! `timecmp` are evaluated as Terraform 1.11 does: timestamps are read the
//! way Go's `time.Parse(time.RFC3339, ...)` reads them, durations the way
//! `time.ParseDuration` does, and `formatdate` follows go-cty's
//! `FormatDateFunc` verb by verb.

use super::{exact, invalid, string, FnError};
use crate::model::Value;

/// `timestamp` and `plantimestamp`: a different value on every run.
pub(super) fn timestamp(name: &str, a: &[Value]) -> Result<Value, FnError> {
    exact(name, a, 0)?;
    Err(FnError::Unknown)
}

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// An instant with the UTC offset it was written with, as Go's `time.Time`
/// holds what `time.Parse` returns.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Time {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    unix_nanos: i128,
    /// Seconds east of UTC.
    offset: i64,
}

/// The civil fields of a time in its own offset.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday, as Go's `time.Weekday`.
    weekday: u32,
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // In range by construction: day 1..=31, month 1..=12.
    (year, month as u32, day as u32)
}

impl Time {
    fn civil(&self) -> Civil {
        let local = self.unix_nanos.div_euclid(NANOS_PER_SEC) + i128::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        // Days of any i128 nanosecond count fit an i64 (2^127 / 1e9 / 86400 < 2^63).
        let days = days as i64;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            // 1970-01-01 was a Thursday (4).
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }
}

/// Consume `n` digits.
fn digits(b: &mut &[u8], n: usize) -> Option<u32> {
    let head = b.get(..n)?;
    if !head.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *b = &b[n..];
    Some(head.iter().fold(0u32, |x, c| x * 10 + u32::from(c - b'0')))
}

/// Consume one byte.
fn byte(b: &mut &[u8]) -> Option<u8> {
    let (first, rest) = b.split_first()?;
    *b = rest;
    Some(*first)
}

/// `time.Parse(time.RFC3339, s)`: Go's fast path for RFC 3339. What only
/// Go's general layout parser would accept (a one-digit hour, a comma
/// before the fraction, a zone offset of 24:00) its strict RFC 3339 check
/// rejects, as Terraform 1.11 does (recorded in the oracle cases).
fn parse_rfc3339(s: &str) -> Result<Time, String> {
    let bad = || format!("not a valid RFC3339 timestamp: {s:?}");
    let mut b = s.as_bytes();
    let year = digits(&mut b, 4).ok_or_else(bad)?;
    let sep1 = byte(&mut b);
    let month = digits(&mut b, 2).ok_or_else(bad)?;
    let sep2 = byte(&mut b);
    let day = digits(&mut b, 2).ok_or_else(bad)?;
    let sep3 = byte(&mut b);
    let hour = digits(&mut b, 2).ok_or_else(bad)?;
    let sep4 = byte(&mut b);
    let minute = digits(&mut b, 2).ok_or_else(bad)?;
    let sep5 = byte(&mut b);
    let second = digits(&mut b, 2).ok_or_else(bad)?;
    if (sep1, sep2, sep3, sep4, sep5)
        != (Some(b'-'), Some(b'-'), Some(b'T'), Some(b':'), Some(b':'))
    {
        return Err(bad());
    }
    let year = i64::from(year);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in(month, year)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    let mut nanos: i128 = 0;
    if b.len() >= 2 && b[0] == b'.' && b[1].is_ascii_digit() {
        let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count() + 1;
        // Go keeps nine digits and ignores the rest.
        let mut scale = 100_000_000;
        for &c in b[1..n].iter().take(9) {
            nanos += i128::from(c - b'0') * scale;
            scale /= 10;
        }
        b = &b[n..];
    }
    let offset: i64 = match b {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            let hh = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let mm = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if hh > 23 || mm > 59 {
                return Err(bad());
            }
            let off = (hh * 60 + mm) * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return Err(bad()),
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    Ok(Time {
        unix_nanos: i128::from(secs) * NANOS_PER_SEC + nanos,
        offset,
    })
}

/// Go's `time.ParseDuration`: nanoseconds.
fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    const LIMIT: u64 = 1 << 63;
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some((&c, rest)) = s.split_first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = rest;
        }
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // [0-9]*
        let mut v: u64 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // (\.[0-9]*)?
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut i = 0;
            let mut overflow = false;
            while i < s.len() && s[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(s[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > 0;
            s = &s[i..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // The unit: up to the next '.' or digit.
        let end = s
            .iter()
            .position(|c| *c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if end == 0 {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        let unit_text = &s[..end];
        s = &s[end..];
        let unit: u64 = match unit_text {
            b"ns" => 1,
            // "µs" (U+00B5) and "μs" (U+03BC).
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {:?} in duration {orig:?}",
                    String::from_utf8_lossy(unit_text)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // Go's arithmetic: float64, truncated.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        // d <= 2^63: its negation fits an i64.
        return Ok((-(i128::from(d))) as i64);
    }
    i64::try_from(d).map_err(|_| invalid())
}

/// Go's `appendInt(b, x, width)`: zero-padded to `width`, a sign before.
fn pad(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", x.unsigned_abs()));
}

/// `t.Format(time.RFC3339)`: whole seconds, `Z` for a zero offset.
fn format_rfc3339(t: &Time) -> String {
    let c = t.civil();
    let mut out = String::with_capacity(25);
    pad(&mut out, c.year, 4);
    out.push_str(&format!(
        "-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.month, c.day, c.hour, c.minute, c.second
    ));
    out.push_str(&zone(t.offset, true, true));
    out
}

/// A zone offset as Go's layouts `Z07:00` (`z` and `colon`), `-07:00`
/// (`colon`) and `-0700` write it.
fn zone(offset: i64, z: bool, colon: bool) -> String {
    if z && offset == 0 {
        return "Z".into();
    }
    let minutes = offset / 60;
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    if colon {
        format!("{sign}{:02}:{:02}", m / 60, m % 60)
    } else {
        format!("{sign}{:02}{:02}", m / 60, m % 60)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// go-cty's `splitDateFormat`: a quoted literal, a run of one letter, or a
/// run of anything else. Go's scanner hands the split the whole remaining
/// format, so `atEOF` holds whenever the split asks for more.
fn next_token(data: &[u8]) -> usize {
    const ESC: u8 = b'\'';
    match data[0] {
        ESC => {
            if data.len() > 1 && data[1] == ESC {
                return 2;
            }
            let mut i = 1;
            while i < data.len() {
                if data[i] == ESC {
                    if i + 1 == data.len() {
                        // Needs one more byte; at the end, all of it.
                        return data.len();
                    }
                    if data[i + 1] == ESC {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            data.len()
        }
        c if c.is_ascii_alphabetic() => data.iter().position(|x| *x != c).unwrap_or(data.len()),
        _ => data[1..]
            .iter()
            .position(|x| *x == ESC || x.is_ascii_alphabetic())
            .map_or(data.len(), |i| i + 1),
    }
}

fn verb_error(tok: &str, why: &str) -> String {
    if why.is_empty() {
        format!("invalid date format verb {tok:?}")
    } else {
        format!("invalid date format verb {tok:?}: {why}")
    }
}

/// go-cty's `FormatDateFunc`.
fn format_date(format: &str, t: &Time) -> Result<String, String> {
    let c = t.civil();
    let bytes = format.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(format.len() + 8);
    let mut at = 0;
    while at < bytes.len() {
        let len = next_token(&bytes[at..]);
        let tok = &bytes[at..at + len];
        at += len;
        if tok[0] == b'\'' {
            if tok[len - 1] != b'\'' || len == 1 {
                return Err("unterminated literal '".into());
            }
            if len == 2 {
                out.push(b'\'');
            } else {
                let raw = &tok[1..len - 1];
                let mut i = 0;
                while i < raw.len() {
                    out.push(raw[i]);
                    if raw[i] == b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            continue;
        }
        if !tok[0].is_ascii_alphabetic() {
            out.extend_from_slice(tok);
            continue;
        }
        // A run of one ASCII letter: valid UTF-8.
        let name = String::from_utf8_lossy(tok);
        let two = |x: u32, why: &str| -> Result<String, String> {
            match len {
                1 => Ok(x.to_string()),
                2 => Ok(format!("{x:02}")),
                _ => Err(verb_error(&name, why)),
            }
        };
        let text = match tok[0] {
            b'Y' => match len {
                2 => format!("{:02}", c.year % 100),
                4 => format!("{:04}", c.year),
                _ => return Err(verb_error(&name, "year must either be \"YY\" or \"YYYY\"")),
            },
            b'M' => {
                let month = MONTHS[c.month as usize - 1];
                match len {
                    1 => c.month.to_string(),
                    2 => format!("{:02}", c.month),
                    3 => month[..3].to_string(),
                    4 => month.to_string(),
                    _ => {
                        return Err(verb_error(
                            &name,
                            "month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"",
                        ))
                    }
                }
            }
            b'D' => two(c.day, "day of month must either be \"D\" or \"DD\"")?,
            b'E' => {
                let day = WEEKDAYS[c.weekday as usize];
                match len {
                    3 => day[..3].to_string(),
                    4 => day.to_string(),
                    _ => {
                        return Err(verb_error(
                            &name,
                            "day of week must either be \"EEE\" or \"EEEE\"",
                        ))
                    }
                }
            }
            b'h' => two(c.hour, "24-hour must either be \"h\" or \"hh\"")?,
            b'H' => {
                let h = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                two(h, "12-hour must either be \"H\" or \"HH\"")?
            }
            b'A' | b'a' => {
                if len != 2 {
                    let l = tok[0] as char;
                    return Err(verb_error(&name, &format!("must be \"{l}{l}\"")));
                }
                let pm = c.hour >= 12;
                match (tok[0] == b'A', pm) {
                    (true, false) => "AM",
                    (true, true) => "PM",
                    (false, false) => "am",
                    (false, true) => "pm",
                }
                .to_string()
            }
            b'm' => two(c.minute, "minute must either be \"m\" or \"mm\"")?,
            b's' => two(c.second, "second must either be \"s\" or \"ss\"")?,
            b'Z' => match len {
                1 => zone(t.offset, true, true),
                3 => match zone(t.offset, false, false).as_str() {
                    "+0000" => "UTC".to_string(),
                    other => other.to_string(),
                },
                4 => zone(t.offset, false, false),
                5 => zone(t.offset, false, true),
                _ => return Err(verb_error(&name, "timezone must be Z, ZZZZ, or ZZZZZ")),
            },
            _ => return Err(verb_error(&name, "")),
        };
        out.extend_from_slice(text.as_bytes());
    }
    // Only whole UTF-8 sequences are copied: the format was a string and
    // every split point is an ASCII byte.
    String::from_utf8(out).map_err(|_| "the result is not valid UTF-8".to_string())
}

pub(super) fn formatdate(name: &str, a: &[Value]) -> Result<Value, FnError> {
    exact(name, a, 2)?;
    let format = string(name, &a[0])?;
    let time = string(name, &a[1])?;
    let t = parse_rfc3339(&time).map_err(|e| invalid(name, e))?;
    format_date(&format, &t)
        .map(Value::String)
        .map_err(|e| invalid(name, e))
}

pub(super) fn timeadd(name: &str, a: &[Value]) -> Result<Value, FnError> {
    exact(name, a, 2)?;
    let time = string(name, &a[0])?;
    let duration = string(name, &a[1])?;
    let t = parse_rfc3339(&time).map_err(|e| invalid(name, e))?;
    let d = parse_duration(&duration).map_err(|e| invalid(name, e))?;
    let sum = Time {
        unix_nanos: t.unix_nanos + i128::from(d),
        offset: t.offset,
    };
    Ok(Value::String(format_rfc3339(&sum)))
}

pub(super) fn timecmp(name: &str, a: &[Value]) -> Result<Value, FnError> {
    exact(name, a, 2)?;
    let x = parse_rfc3339(&string(name, &a[0])?).map_err(|e| invalid(name, e))?;
    let y = parse_rfc3339(&string(name, &a[1])?).map_err(|e| invalid(name, e))?;
    Ok(Value::Number(match x.unix_nanos.cmp(&y.unix_nanos) {
        std::cmp::Ordering::Less => -1.0,
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Greater => 1.0,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{n, ok, s};
    use super::super::{call, FnError};
    use super::parse_duration;

    fn fd(format: &str, time: &str) -> String {
        match ok("formatdate", vec![s(format), s(time)]) {
            crate::model::Value::String(x) => x,
            other => panic!("{other:?}"),
        }
    }

    fn fails(name: &str, a: &str, b: &str) -> bool {
        matches!(call(name, vec![s(a), s(b)]), Err(FnError::Invalid { .. }))
    }

    #[test]
    fn formatdate_verbs() {
        let t = "2018-01-02T23:12:01Z";
        assert_eq!(fd("YYYY-MM-DD'T'hh:mm:ssZ", t), "2018-01-02T23:12:01Z");
        assert_eq!(
            fd("EEEE, DD-MMM-YY hh:mm:ss ZZZ", t),
            "Tuesday, 02-Jan-18 23:12:01 UTC"
        );
        assert_eq!(fd("h:mm AA", "2018-01-02T23:12:01-08:00"), "23:12 PM");
        assert_eq!(fd("H:m:s aa", "2018-01-02T00:02:03Z"), "12:2:3 am");
        assert_eq!(
            fd("ZZZ ZZZZ ZZZZZ Z", "2018-01-02T00:00:00+05:30"),
            "+0530 +0530 +05:30 +05:30"
        );
        assert_eq!(fd("ZZZ Z", "2018-01-02T00:00:00-00:00"), "UTC Z");
        assert_eq!(
            fd("MMMM D, YYYY EEE", "2024-07-04T09:05:06Z"),
            "July 4, 2024 Thu"
        );
        assert_eq!(fd("'It''s' h'h'", "2024-07-04T09:05:06Z"), "It's 9h");
        assert_eq!(fd("''", "2024-07-04T09:05:06Z"), "'");
        assert_eq!(fd("YYYY ✓ 日本", "0001-01-01T00:00:00Z"), "0001 ✓ 日本");
        assert_eq!(fd("EEEE", "2000-02-29T00:00:00Z"), "Tuesday");
        assert_eq!(fd("EEEE", "1969-12-31T23:59:59Z"), "Wednesday");
        for bad in ["YYY", "MMMMM", "DDD", "E", "hhh", "A", "Q", "ZZ", "'open"] {
            assert!(fails("formatdate", bad, "2018-01-02T23:12:01Z"), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_strict_rfc3339() {
        for bad in [
            "yesterday",
            "2017-11-22",
            "2017-11-22T00:00:00",
            "2017-11-22 00:00:00Z",
            "2017-02-29T00:00:00Z",
            "2017-11-22T24:00:00Z",
            "2017-11-22T00:00:00z",
            "2017-11-22T00:00:00+0100",
            "2017-11-22T00:00:00+24:00",
            "2017-11-22T00:00:00+01:60",
            "2017-11-22T1:00:00Z",
            "2017-11-22T00:00:00,5Z",
            "2017-11-22T123:00:00Z",
            "2017-11-22T00:00:00.Z",
        ] {
            assert!(fails("formatdate", "YYYY", bad), "{bad}");
        }
        assert_eq!(fd("ss", "2016-02-29T00:00:07.123456789123Z"), "07");
        assert_eq!(fd("hh ZZZZZ", "2016-02-29T01:00:07-23:59"), "01 -23:59");
    }

    #[test]
    fn timeadd_and_timecmp() {
        let add = |t: &str, d: &str| ok("timeadd", vec![s(t), s(d)]);
        assert_eq!(
            add("2017-11-22T00:00:00Z", "10m"),
            s("2017-11-22T00:10:00Z")
        );
        assert_eq!(
            add("2017-11-22T00:00:00Z", "-1h30m"),
            s("2017-11-21T22:30:00Z")
        );
        assert_eq!(
            add("2024-02-28T12:00:00Z", "48h"),
            s("2024-03-01T12:00:00Z")
        );
        assert_eq!(
            add("2024-01-01T00:00:00+02:00", "1h"),
            s("2024-01-01T01:00:00+02:00")
        );
        assert_eq!(
            add("2024-01-01T00:00:00.9Z", "0.2s"),
            s("2024-01-01T00:00:01Z")
        );
        assert_eq!(
            add("2024-01-01T00:00:00+00:00", "0"),
            s("2024-01-01T00:00:00Z")
        );
        assert_eq!(
            add("0000-01-01T00:00:00Z", "-1h"),
            s("-0001-12-31T23:00:00Z")
        );
        assert!(fails("timeadd", "2017-11-22", "1h"));
        for bad in ["", "1", "1d", ".h", "-", "1h-1m", "9223372036854775808ns"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("1µs2us3ns"), Ok(3_003));
        assert_eq!(parse_duration("-9223372036854775808ns"), Ok(i64::MIN));
        assert_eq!(parse_duration("+.5s"), Ok(500_000_000));
        let cmp = |a: &str, b: &str| ok("timecmp", vec![s(a), s(b)]);
        assert_eq!(cmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:01Z"), n(-1.0));
        assert_eq!(
            cmp("2017-11-22T01:00:00+01:00", "2017-11-22T00:00:00Z"),
            n(0.0)
        );
        assert_eq!(cmp("2018-11-22T00:00:00Z", "2017-11-22T00:00:00Z"), n(1.0));
        assert!(fails("timecmp", "2017-11-22T00:00:00Z", "now"));
    }
}
