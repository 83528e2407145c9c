//! `textencodebase64` and `textdecodebase64`: text in a named character
//! encoding, as Terraform 1.11 does it with golang.org/x/text's IANA index.
//!
//! Evaluated: UTF-8, UTF-16 (a byte order mark written, and read when
//! present; big-endian otherwise), UTF-16BE, UTF-16LE, ISO-8859-1 and
//! windows-1252, under their IANA names and aliases, case-insensitively.
//! The UTF-32 family is registered with IANA but x/text has no encoder for
//! it, so Terraform rejects it: an error here too. Any other name is one of
//! the many other charsets x/text knows (Shift_JIS, KOI8-R, ...) or a name
//! it does not: told apart only by x/text's table, which is not copied
//! here, so the result stays unknown rather than a wrong value or error.

use base64::Engine as _;

use super::{invalid, string, two_args, FnError};
use crate::model::Value;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Charset {
    Utf8,
    /// UTF-16 with a byte order mark.
    Utf16,
    Utf16Be,
    Utf16Le,
    Latin1,
    Windows1252,
}

impl Charset {
    /// The IANA name Terraform's messages use.
    fn iana_name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Utf16 => "UTF-16",
            Charset::Utf16Be => "UTF-16BE",
            Charset::Utf16Le => "UTF-16LE",
            Charset::Latin1 => "ISO_8859-1:1987",
            Charset::Windows1252 => "windows-1252",
        }
    }
}

/// The outcome of looking a name up in the IANA index.
enum Lookup {
    Known(Charset),
    /// Registered, but x/text has no implementation: Terraform's error.
    Unsupported,
    /// Not one this module knows.
    Other,
}

fn lookup(name: &str) -> Lookup {
    let key = name.trim().to_lowercase();
    let charset = match key.as_str() {
        "utf-8" | "csutf8" => Charset::Utf8,
        "utf-16" | "csutf16" => Charset::Utf16,
        "utf-16be" | "csutf16be" => Charset::Utf16Be,
        "utf-16le" | "csutf16le" => Charset::Utf16Le,
        "iso_8859-1:1987" | "iso-ir-100" | "iso_8859-1" | "iso-8859-1" | "latin1" | "l1"
        | "ibm819" | "cp819" | "csisolatin1" => Charset::Latin1,
        "windows-1252" | "cswindows1252" => Charset::Windows1252,
        "utf-32" | "csutf32" | "utf-32be" | "csutf32be" | "utf-32le" | "csutf32le" => {
            return Lookup::Unsupported
        }
        _ => return Lookup::Other,
    };
    Lookup::Known(charset)
}

fn charset(fname: &str, name: &str) -> Result<Charset, FnError> {
    match lookup(name) {
        Lookup::Known(c) => Ok(c),
        Lookup::Unsupported => Err(invalid(
            fname,
            format!(
                "{name:?} is not a supported IANA encoding name or alias in this Terraform version"
            ),
        )),
        Lookup::Other => Err(FnError::Unknown),
    }
}

/// windows-1252 bytes 0x80..=0x9F; 0xFFFD for the five that cp1252 leaves
/// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): x/text decodes them to U+FFFD,
/// which Terraform rejects (recorded in the oracle cases).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
];

/// `None` when `text` has a character the charset cannot represent.
fn encode(c: Charset, text: &str) -> Option<Vec<u8>> {
    match c {
        Charset::Utf8 => Some(text.as_bytes().to_vec()),
        Charset::Utf16 | Charset::Utf16Be => {
            let bom: &[u16] = if c == Charset::Utf16 { &[0xFEFF] } else { &[] };
            Some(
                bom.iter()
                    .copied()
                    .chain(text.encode_utf16())
                    .flat_map(u16::to_be_bytes)
                    .collect(),
            )
        }
        Charset::Utf16Le => Some(text.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        Charset::Latin1 => text.chars().map(|ch| u8::try_from(ch).ok()).collect(),
        Charset::Windows1252 => text
            .chars()
            .map(|ch| {
                let code = u32::from(ch);
                if code < 0x80 || (0xA0..=0xFF).contains(&code) {
                    u8::try_from(code).ok()
                } else if code == 0xFFFD {
                    None
                } else {
                    CP1252_HIGH
                        .iter()
                        .position(|x| u32::from(*x) == code)
                        // position < 32, so 0x80 + position fits a byte.
                        .map(|i| 0x80 + i as u8)
                }
            })
            .collect(),
    }
}

/// Decode as x/text does: a malformed sequence becomes U+FFFD, which the
/// caller rejects.
fn decode(c: Charset, bytes: &[u8]) -> String {
    match c {
        Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Utf16 | Charset::Utf16Be | Charset::Utf16Le => {
            let mut big = c != Charset::Utf16Le;
            let mut body = bytes;
            if c == Charset::Utf16 && bytes.len() >= 2 {
                match (bytes[0], bytes[1]) {
                    (0xFE, 0xFF) => body = &bytes[2..],
                    (0xFF, 0xFE) => {
                        big = false;
                        body = &bytes[2..];
                    }
                    _ => {}
                }
            }
            let units = body.chunks_exact(2).map(|p| {
                if big {
                    u16::from_be_bytes([p[0], p[1]])
                } else {
                    u16::from_le_bytes([p[0], p[1]])
                }
            });
            let mut out: String = char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            if body.len() % 2 == 1 {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            out
        }
        Charset::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        Charset::Windows1252 => bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => char::from_u32(u32::from(CP1252_HIGH[usize::from(b - 0x80)]))
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
                _ => char::from(b),
            })
            .collect(),
    }
}

/// Go's `base64.StdEncoding`: padded, line breaks ignored, trailing bits
/// not checked.
fn base64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    engine.decode(cleaned)
}

pub(super) fn textencodebase64(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (text, enc) = two_args(name, a)?;
    let enc = string(name, enc)?;
    let c = charset(name, &enc)?;
    let text = string(name, text)?;
    let bytes = encode(c, &text).ok_or_else(|| {
        invalid(
            name,
            format!(
                "the given string contains characters that cannot be represented in {}",
                c.iana_name()
            ),
        )
    })?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

pub(super) fn textdecodebase64(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (b64, enc) = two_args(name, a)?;
    let enc = string(name, enc)?;
    let c = charset(name, &enc)?;
    let bytes = base64_decode(&string(name, b64)?)
        .map_err(|e| invalid(name, format!("invalid source string: {e}")))?;
    let text = decode(c, &bytes);
    if text.contains(char::REPLACEMENT_CHARACTER) {
        return Err(invalid(
            name,
            format!(
                "the given string contains symbols that are not defined for {}",
                c.iana_name()
            ),
        ));
    }
    Ok(Value::String(text))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ok, s};
    use super::super::{call, FnError};

    fn enc(text: &str, charset: &str) -> String {
        match ok("textencodebase64", vec![s(text), s(charset)]) {
            crate::model::Value::String(x) => x,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn round_trips() {
        assert_eq!(
            enc("Hello World", "UTF-16LE"),
            "SABlAGwAbABvACAAVwBvAHIAbABkAA=="
        );
        assert_eq!(enc("Hi", "utf-16"), "/v8ASABp");
        assert_eq!(enc("Hi", " UTF-16BE "), "AEgAaQ==");
        assert_eq!(enc("é€", "windows-1252"), "6YA=");
        assert_eq!(enc("é", "latin1"), "6Q==");
        assert_eq!(enc("é", "csUTF8"), "w6k=");
        for (b64, charset, text) in [
            (
                "SABlAGwAbABvACAAVwBvAHIAbABkAA==",
                "UTF-16LE",
                "Hello World",
            ),
            ("/v8ASABp", "UTF-16", "Hi"),
            ("//5IAGkA", "UTF-16", "Hi"),
            ("AEgAaQ==", "UTF-16", "Hi"),
            ("6YA=", "windows-1252", "é€"),
            ("6Q==", "ISO-8859-1", "é"),
            ("w6k=\n", "UTF-8", "é"),
        ] {
            assert_eq!(
                ok("textdecodebase64", vec![s(b64), s(charset)]),
                s(text),
                "{b64}"
            );
        }
    }

    #[test]
    fn errors_and_unknowns() {
        let invalid = |name: &str, a: &str, b: &str| {
            matches!(call(name, vec![s(a), s(b)]), Err(FnError::Invalid { .. }))
        };
        assert!(invalid("textencodebase64", "€", "ISO-8859-1"));
        assert!(invalid("textencodebase64", "x", "UTF-32"));
        assert!(invalid("textdecodebase64", "/w==", "UTF-8"));
        assert!(invalid("textdecodebase64", "gQ==", "windows-1252"));
        assert!(invalid("textencodebase64", "\u{81}", "windows-1252"));
        assert!(invalid("textencodebase64", "\u{fffd}", "windows-1252"));
        assert!(invalid("textdecodebase64", "AEhp", "UTF-16BE"));
        assert!(invalid("textdecodebase64", "ANg=", "UTF-16LE"));
        assert!(invalid("textdecodebase64", "not base64", "UTF-8"));
        assert_eq!(
            call("textencodebase64", vec![s("x"), s("Shift_JIS")]),
            Err(FnError::Unknown)
        );
    }
}
