//! Only whole answers are parsed.
//!
//! The SDK's XML deserializers (aws-smithy-xml 0.64, used by the generated
//! `awsQuery`/`ec2Query` parsers of EC2, RDS, IAM and STS) read a body
//! leniently: `Document::try_from` does not turn on the decoder's
//! well-formedness mode, `ScopedDecoder::next_tag` answers "no more
//! children" both at the end of the input and after a tokenizer error, and
//! `try_data` answers `""` at the end of the input. So a 200 answer whose
//! body is cut short (with a `Content-Length` that matches the cut, so the
//! HTTP framing looks whole) parses as a shorter list, with the element that
//! was being read half filled and no `NextToken` (so the paginator stops):
//! a wrong snapshot that looks complete.
//!
//! [`WholeAnswers`] is an interceptor on every EC2, RDS, IAM and STS client:
//! after each attempt it checks that a successful answer's body is one
//! well-formed XML document whose root element is closed (tags balanced,
//! nothing after the root but whitespace). When it is not, the attempt's
//! result is replaced by a response error, which the SDK's standard
//! classifiers retry as a transient error; after the last attempt the call
//! fails, and the collectors record a coverage gap (exit 3).

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use xmlparser::{ElementEnd, Token, Tokenizer};

/// Why an answer's body is not a whole XML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// HTTP status of the answer.
    pub status: u16,
    /// Bytes of body received.
    pub bytes: usize,
    /// What is wrong with it.
    pub what: String,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "incomplete answer: HTTP {} with a body of {} bytes that is not a whole XML document ({})",
            self.status, self.bytes, self.what
        )
    }
}

impl StdError for Incomplete {}

/// Check that `body` is one well-formed XML document: a root element,
/// every element closed by a matching tag, nothing but whitespace,
/// comments or processing instructions after the root.
pub fn check_document(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut open: Vec<(&str, &str)> = Vec::new();
    let mut root: Option<&str> = None;
    let mut closed = false;
    for token in Tokenizer::from(text) {
        let token = token.map_err(|e| format!("malformed: {e}"))?;
        match token {
            Token::ElementStart { prefix, local, .. } => {
                if closed {
                    return Err(format!(
                        "element `{}` after the root element was closed",
                        local.as_str()
                    ));
                }
                if root.is_none() {
                    root = Some(local.as_str());
                }
                open.push((prefix.as_str(), local.as_str()));
            }
            Token::ElementEnd { end, .. } => {
                match end {
                    ElementEnd::Open => continue,
                    ElementEnd::Empty => {
                        open.pop();
                    }
                    ElementEnd::Close(prefix, local) => match open.pop() {
                        Some((p, l)) if p == prefix.as_str() && l == local.as_str() => {}
                        Some((_, l)) => {
                            return Err(format!("`</{}>` closes `<{l}>`", local.as_str()))
                        }
                        None => return Err(format!("stray `</{}>`", local.as_str())),
                    },
                }
                if open.is_empty() {
                    closed = true;
                }
            }
            Token::Text { text } | Token::Cdata { text, .. }
                if closed && !text.as_str().trim().is_empty() =>
            {
                return Err("text after the root element".into());
            }
            _ => {}
        }
    }
    match (root, open.last()) {
        (None, _) => Err("no root element".into()),
        (Some(_), Some((_, inner))) => Err(format!(
            "ends inside `<{inner}>`, {} element(s) unclosed",
            open.len()
        )),
        (Some(_), None) => Ok(()),
    }
}

/// The interceptor that fails (retryably) every attempt whose successful
/// answer is not a whole XML document. For the XML protocols only (EC2,
/// RDS, IAM, STS), not for S3 objects.
#[derive(Debug, Clone, Default)]
pub struct WholeAnswers;

impl Intercept for WholeAnswers {
    fn name(&self) -> &'static str {
        "parity-whole-answers"
    }

    // Runs after every attempt, once the body has been read and
    // deserialized, and before the retry strategy looks at the result.
    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else {
            return Ok(());
        };
        let status = response.status().as_u16();
        // Error answers are judged by the SDK (a cut error body parses as
        // an unknown error and is not taken as data).
        if !(200..300).contains(&status) {
            return Ok(());
        }
        // Streaming bodies are not loaded here; every call these clients
        // make has a loaded body after deserialization.
        let Some(body) = response.body().bytes() else {
            return Ok(());
        };
        let Err(what) = check_document(body) else {
            return Ok(());
        };
        let incomplete = Incomplete {
            status,
            bytes: body.len(),
            what,
        };
        tracing::debug!("{incomplete}");
        if let Some(result) = context.output_or_error_mut() {
            *result = Err(OrchestratorError::response(Box::new(incomplete)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHOLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f</requestId>
  <subnetSet>
    <item><subnetId>subnet-1</subnetId><tagSet/></item>
    <item><subnetId>subnet-2</subnetId><tagSet/></item>
  </subnetSet>
</DescribeSubnetsResponse>
"#;

    #[test]
    fn a_whole_document_passes() {
        assert_eq!(check_document(WHOLE.as_bytes()), Ok(()));
        assert_eq!(check_document(b"<A/>"), Ok(()));
        assert_eq!(
            check_document(b"<A><!-- c --></A>\n<!-- after -->\n"),
            Ok(())
        );
    }

    #[test]
    fn every_cut_is_caught() {
        let end = WHOLE.trim_end().len();
        for cut in 0..end {
            assert!(
                check_document(&WHOLE.as_bytes()[..cut]).is_err(),
                "a body cut at {cut} bytes passed: {:?}",
                &WHOLE[..cut]
            );
        }
        assert!(check_document(&WHOLE.as_bytes()[..end]).is_ok());
    }

    #[test]
    fn malformed_documents_are_caught() {
        for bad in [
            "",
            "   ",
            "<A><B></A></B>",
            "<A></A><B></B>",
            "<A></A>trailing",
            "</A>",
            "<A>",
            "\u{0}",
        ] {
            assert!(check_document(bad.as_bytes()).is_err(), "{bad:?} passed");
        }
        assert!(check_document(&[0xff, 0xfe]).is_err());
    }
}
