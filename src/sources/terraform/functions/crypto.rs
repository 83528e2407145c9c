//! Terraform's hash and crypto functions (`md5`, `sha*`, `base64sha*`,
//! `uuidv5`). `uuid` and `bcrypt` give a different value on every run, so
//! they are unknown rather than computed; `rsadecrypt` is symbolic too.

use base64::Engine as _;

use super::{arity_error, exact, invalid, FnError};
use crate::model::Value;

pub(super) fn bcrypt(name: &str, a: &[Value]) -> Result<Value, FnError> {
    if a.is_empty() || a.len() > 2 {
        return Err(arity_error(name, "1 or 2 arguments", a.len()));
    }
    Err(FnError::Unknown)
}

/// `rsadecrypt(ciphertext, privatekey)` is not evaluated (parity has no
/// RSA implementation): symbolic, but written from a hash of both
/// arguments, so two environments that decrypt different ciphertexts or
/// with different keys do not compare equal. The evaluator marks the key
/// argument sensitive before the call, so this result is marked too.
pub(super) fn rsadecrypt(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let [ciphertext, key] = a else {
        return Err(arity_error(name, "2 arguments", a.len()));
    };
    let ciphertext = super::string(name, ciphertext)?;
    let key = super::string(name, key)?;
    let digest = sha256(&format!("{ciphertext}\0{key}"));
    Ok(Value::Unknown(format!("rsadecrypt(sha256:{digest})")))
}

pub(super) fn md5(s: &str) -> String {
    hex(&<md5::Md5 as sha2::Digest>::digest(s))
}

pub(super) fn sha1(s: &str) -> String {
    hex(&<sha1::Sha1 as sha2::Digest>::digest(s))
}

pub(super) fn sha256(s: &str) -> String {
    hex(&<sha2::Sha256 as sha2::Digest>::digest(s))
}

pub(super) fn sha512(s: &str) -> String {
    hex(&<sha2::Sha512 as sha2::Digest>::digest(s))
}

pub(super) fn base64sha256(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(<sha2::Sha256 as sha2::Digest>::digest(s))
}

pub(super) fn base64sha512(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(<sha2::Sha512 as sha2::Digest>::digest(s))
}

/// The file functions that digest or encode a file's bytes (which need not
/// be UTF-8): `filebase64`, `filemd5`, `filesha1`, `filesha256`,
/// `filesha512`, `filebase64sha256`, `filebase64sha512`. `None` for
/// another name.
pub fn file_digest(name: &str, bytes: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    let b64 = |x: &[u8]| base64::engine::general_purpose::STANDARD.encode(x);
    Some(match name {
        "filebase64" => b64(bytes),
        "filemd5" => hex(&md5::Md5::digest(bytes)),
        "filesha1" => hex(&sha1::Sha1::digest(bytes)),
        "filesha256" => hex(&sha2::Sha256::digest(bytes)),
        "filesha512" => hex(&sha2::Sha512::digest(bytes)),
        "filebase64sha256" => b64(&sha2::Sha256::digest(bytes)),
        "filebase64sha512" => b64(&sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

/// A different value on every run.
pub(super) fn uuid(name: &str, a: &[Value]) -> Result<Value, FnError> {
    exact(name, a, 0)?;
    Err(FnError::Unknown)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 4122 name-based UUID (version 5, SHA-1), as Terraform's `uuidv5`.
pub(super) fn uuidv5(name: &str, namespace: &str, value: &str) -> Result<String, FnError> {
    let ns = match namespace {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let hex_digits: String = ns.chars().filter(|c| *c != '-').collect();
    let bad = || {
        invalid(
            name,
            format!("uuidv5() doesn't support namespace {namespace:?}"),
        )
    };
    if hex_digits.len() != 32 || !hex_digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut bytes = Vec::with_capacity(16 + value.len());
    for i in (0..32).step_by(2) {
        let pair = hex_digits.get(i..i + 2).ok_or_else(bad)?;
        bytes.push(u8::from_str_radix(pair, 16).map_err(|_| bad())?);
    }
    bytes.extend_from_slice(value.as_bytes());
    let digest = <sha1::Sha1 as sha2::Digest>::digest(&bytes);
    let mut u: Vec<u8> = digest.iter().take(16).copied().collect();
    if let (Some(b6), Some(b8)) = (u.get(6).copied(), u.get(8).copied()) {
        u[6] = (b6 & 0x0f) | 0x50;
        u[8] = (b8 & 0x3f) | 0x80;
    }
    // invariant: a SHA-1 digest is 20 bytes, so `h` is 32 hex digits and the
    // slices below are in range.
    let h = hex(&u);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, ok, s};
    use super::super::{call, FnError};
    use crate::model::Value;

    #[test]
    fn hashes() {
        assert_eq!(
            ok("md5", vec![s("hello world")]),
            s("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(
            ok("sha1", vec![s("hello world")]),
            s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
        );
        assert_eq!(
            ok("sha256", vec![s("hello world")]),
            s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        assert_eq!(
            ok("sha512", vec![s("hello world")]),
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
        );
        assert_eq!(
            ok("base64sha256", vec![s("hello world")]),
            s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        );
    }

    #[test]
    fn nondeterministic_functions_are_unknown() {
        assert_eq!(call("uuid", vec![]), Err(FnError::Unknown));
        assert_eq!(call("timestamp", vec![]), Err(FnError::Unknown));
        assert_eq!(call("bcrypt", vec![s("x")]), Err(FnError::Unknown));
    }

    #[test]
    fn rsadecrypt_is_symbolic_by_its_arguments() {
        let one = call(
            "rsadecrypt",
            vec![s("Y2lwaGVy"), s("-----BEGIN RSA PRIVATE KEY-----")],
        );
        let Ok(Value::Unknown(text)) = &one else {
            panic!("{one:?}")
        };
        // Neither argument appears in it, and others give another text.
        assert!(text.starts_with("rsadecrypt(sha256:"), "{text}");
        assert!(
            !text.contains("Y2lwaGVy") && !text.contains("PRIVATE"),
            "{text}"
        );
        let other = call(
            "rsadecrypt",
            vec![s("b3RoZXI="), s("-----BEGIN RSA PRIVATE KEY-----")],
        );
        assert_ne!(one, other);
        assert!(call("rsadecrypt", vec![s("x")]).is_err());
    }

    #[test]
    fn uuidv5() {
        assert_eq!(
            ok("uuidv5", vec![s("dns"), s("www.terraform.io")]),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert_eq!(
            ok("uuidv5", vec![s("url"), s("https://www.terraform.io/")]),
            s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5")
        );
        assert_eq!(
            ok(
                "uuidv5",
                vec![
                    s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                    s("www.terraform.io")
                ]
            ),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert!(err("uuidv5", vec![s("nope"), s("x")]).contains("namespace"));
    }
}
