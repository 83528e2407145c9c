//! Reading a raw state without holding the whole file in memory.
//!
//! A state of tens of MB is almost all `resources`, and each resource
//! object stands on its own. The file is read in blocks and split on the
//! fly: each element of the top-level `resources` array is cut out as a
//! chunk and parsed (in parallel batches) into instances; everything else
//! forms a small "skeleton" document (`version`, `outputs`, … and an empty
//! `resources` array) parsed afterwards like any document, so telling
//! formats and versions apart works as for small files. The skeleton keeps
//! one newline for each newline cut out, so its line numbers are the
//! file's. Peak memory is the snapshot plus one batch, not the snapshot
//! plus the file.
//!
//! `terraform show -json` documents have no top-level `resources`: their
//! skeleton is the whole document, parsed as before.

use std::io::Read;

use rayon::prelude::*;

use super::json;
use super::tfstate::{self, RawResource};
use super::{Parsed, StateError};

/// Bytes read per block.
const BLOCK: usize = 1 << 20;
/// Chunks are parsed once a batch holds this many bytes.
const BATCH: usize = 4 << 20;

/// What splitting a document yields.
pub(crate) struct Split {
    pub skeleton: Vec<u8>,
    /// Instances of the streamed resources, in document order.
    pub streamed: Parsed,
    /// Resources were found under a top-level `resources` array.
    pub had_resources: bool,
    /// The first resource that could not be parsed (reported once the
    /// skeleton says the document is a state of a version we read).
    pub chunk_error: Option<StateError>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Skeleton,
    /// Inside an element of `resources`.
    Chunk,
    /// Inside `resources`, between elements.
    Gap,
}

struct Splitter<'p> {
    path: &'p str,
    depth: u32,
    in_str: bool,
    esc: bool,
    line: u32,
    /// The last key read at depth 1, while it is short enough to matter.
    key: Vec<u8>,
    capturing_key: bool,
    expect_key: bool,
    in_resources: bool,
    seen_first: bool,
    route: Route,
    skeleton: Vec<u8>,
    /// The chunks of the current batch, back to back.
    batch_buf: Vec<u8>,
    /// Per chunk: where it starts in `batch_buf` and the lines of its
    /// instances.
    batch: Vec<Chunk>,
    chunk_start: usize,
    chunk_line: u32,
    /// Inside a resource object (depth 3): its last key, to find `instances`.
    resource_key: Vec<u8>,
    capturing_resource_key: bool,
    resource_expect_key: bool,
    in_instances: bool,
    instance_lines: Vec<u32>,
    out: Split,
}

struct Chunk {
    start: usize,
    end: usize,
    /// The line the chunk starts on.
    line: u32,
    instance_lines: Vec<u32>,
}

/// The index of the first `"` or `\\` in `bytes`, eight bytes at a time.
fn find_quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        if has_zero(x ^ QUOTE) | has_zero(x ^ BACKSLASH) != 0 {
            return c
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map(|k| base + k);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|k| base + k)
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

impl<'p> Splitter<'p> {
    fn new(path: &'p str) -> Self {
        Splitter {
            path,
            depth: 0,
            in_str: false,
            esc: false,
            line: 1,
            key: Vec::with_capacity(16),
            capturing_key: false,
            expect_key: false,
            in_resources: false,
            seen_first: false,
            route: Route::Skeleton,
            skeleton: Vec::new(),
            batch_buf: Vec::with_capacity(BATCH + BLOCK),
            batch: Vec::new(),
            chunk_start: 0,
            chunk_line: 1,
            resource_key: Vec::with_capacity(16),
            capturing_resource_key: false,
            resource_expect_key: false,
            in_instances: false,
            instance_lines: Vec::new(),
            out: Split {
                skeleton: Vec::new(),
                streamed: Parsed::default(),
                had_resources: false,
                chunk_error: None,
            },
        }
    }

    /// Send `seg` to the current route's sink.
    fn flush(&mut self, seg: &[u8]) {
        match self.route {
            Route::Skeleton => self.skeleton.extend_from_slice(seg),
            Route::Chunk => {
                self.batch_buf.extend_from_slice(seg);
                let n = newlines(seg);
                self.skeleton.resize(self.skeleton.len() + n, b'\n');
            }
            Route::Gap => {
                let n = newlines(seg);
                self.skeleton.resize(self.skeleton.len() + n, b'\n');
            }
        }
    }

    fn block(&mut self, buf: &[u8]) -> Result<(), StateError> {
        let mut seg = 0;
        let mut i = 0;
        let n = buf.len();
        while i < n {
            let b = buf[i];
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                if !self.capturing_key && !self.capturing_resource_key {
                    // Most bytes are inside strings: jump to the next quote
                    // or backslash.
                    match find_quote_or_backslash(&buf[i..]) {
                        Some(k) => i += k,
                        None => {
                            i = n;
                            continue;
                        }
                    }
                }
                let b = buf[i];
                if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                    self.capturing_key = false;
                    self.capturing_resource_key = false;
                } else {
                    if self.capturing_key && self.key.len() < 16 {
                        self.key.push(b);
                    }
                    if self.capturing_resource_key && self.resource_key.len() < 16 {
                        self.resource_key.push(b);
                    }
                }
                i += 1;
                continue;
            }
            if !self.seen_first && !b.is_ascii_whitespace() {
                self.seen_first = true;
                if b != b'{' {
                    return Err(if buf[i..].starts_with(b"PK") {
                        StateError::BinaryPlan {
                            path: self.path.into(),
                        }
                    } else {
                        StateError::Json {
                            path: self.path.into(),
                            detail: "it does not start with `{`".into(),
                        }
                    });
                }
            }
            match b {
                b'"' => {
                    self.in_str = true;
                    if self.depth == 1 && self.expect_key {
                        self.capturing_key = true;
                        self.key.clear();
                    } else if self.in_resources && self.depth == 3 && self.resource_expect_key {
                        self.capturing_resource_key = true;
                        self.resource_key.clear();
                    }
                }
                b':' if self.depth == 1 => self.expect_key = false,
                b',' if self.depth == 1 => self.expect_key = true,
                b':' if self.depth == 3 => self.resource_expect_key = false,
                b',' if self.depth == 3 => self.resource_expect_key = true,
                b'{' | b'[' => {
                    if self.in_resources && self.depth == 2 && b == b'{' {
                        self.flush(&buf[seg..i]);
                        seg = i;
                        self.route = Route::Chunk;
                        self.chunk_start = self.batch_buf.len();
                        self.chunk_line = self.line;
                        self.resource_expect_key = true;
                        self.resource_key.clear();
                        self.instance_lines = Vec::new();
                    } else if self.in_resources && self.depth == 3 && b == b'[' {
                        self.in_instances = self.resource_key == b"instances";
                    } else if self.in_instances && self.depth == 4 && b == b'{' {
                        self.instance_lines.push(self.line);
                    }
                    self.depth += 1;
                    if self.depth == 1 {
                        self.expect_key = true;
                    } else if self.depth == 2 && b == b'[' && self.key == b"resources" {
                        self.in_resources = true;
                        self.out.had_resources = true;
                        self.flush(&buf[seg..=i]);
                        seg = i + 1;
                        self.route = Route::Gap;
                    }
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 3 && b == b']' {
                        self.in_instances = false;
                    }
                    if self.in_resources && self.depth == 2 && b == b'}' {
                        self.flush(&buf[seg..=i]);
                        seg = i + 1;
                        self.route = Route::Gap;
                        self.finish_chunk();
                    } else if self.in_resources && self.depth == 1 {
                        self.flush(&buf[seg..i]);
                        seg = i;
                        self.route = Route::Skeleton;
                        self.in_resources = false;
                    }
                }
                b'\n' => self.line += 1,
                _ => {}
            }
            i += 1;
        }
        self.flush(&buf[seg..n]);
        Ok(())
    }

    fn finish_chunk(&mut self) {
        self.batch.push(Chunk {
            start: self.chunk_start,
            end: self.batch_buf.len(),
            line: self.chunk_line,
            instance_lines: std::mem::take(&mut self.instance_lines),
        });
        if self.batch_buf.len() >= BATCH {
            self.parse_batch();
        }
    }

    /// Parse the pending chunks, in parallel, in document order.
    fn parse_batch(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        if self.out.chunk_error.is_some() || batch.is_empty() {
            self.batch_buf.clear();
            return;
        }
        let path = self.path;
        let buf = &self.batch_buf;
        let parts: Vec<Result<Parsed, StateError>> = batch
            .par_iter()
            .map(|c| parse_chunk(&buf[c.start..c.end], c.line, &c.instance_lines, path))
            .collect();
        self.batch_buf.clear();
        for p in parts {
            match p {
                Ok(p) => {
                    self.out.streamed.instances.extend(p.instances);
                    self.out.streamed.secrets.extend(p.secrets);
                }
                Err(e) => {
                    self.out.chunk_error = Some(e);
                    return;
                }
            }
        }
    }
}

/// One element of `resources`, starting at `line`; `lines` are those of
/// its instances.
fn parse_chunk(bytes: &[u8], line: u32, lines: &[u32], path: &str) -> Result<Parsed, StateError> {
    let resource: RawResource = serde_json::from_slice(bytes).map_err(|e| {
        let detail = json::describe_at(&e, line);
        if matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            StateError::Json {
                path: path.into(),
                detail,
            }
        } else {
            StateError::Shape {
                path: path.into(),
                what: "state",
                detail,
            }
        }
    })?;
    let mut parsed = Parsed::default();
    tfstate::convert_resource(resource, lines, &mut parsed);
    Ok(parsed)
}

/// Split a document read from `reader` (see the module docs).
pub(crate) fn split<R: Read>(mut reader: R, path: &str) -> Result<Split, StateError> {
    let mut s = Splitter::new(path);
    let mut buf = vec![0u8; BLOCK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(StateError::Io {
                    path: path.into(),
                    cause: source,
                })
            }
        };
        s.block(&buf[..n])?;
    }
    if !s.seen_first {
        return Err(StateError::Empty { path: path.into() });
    }
    if s.depth != 0 || s.in_str {
        return Err(StateError::Json {
            path: path.into(),
            detail: format!(
                "the file ends inside {} (line {}): it is truncated",
                if s.in_str {
                    "a string"
                } else {
                    "an object or list"
                },
                s.line
            ),
        });
    }
    s.parse_batch();
    let mut out = std::mem::replace(
        &mut s.out,
        Split {
            skeleton: Vec::new(),
            streamed: Parsed::default(),
            had_resources: false,
            chunk_error: None,
        },
    );
    out.skeleton = std::mem::take(&mut s.skeleton);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "{\n  \"version\": 4,\n  \"resources\": [\n    {\n      \"mode\": \"managed\",\n      \"type\": \"aws_vpc\",\n      \"name\": \"main\",\n      \"instances\": [\n        {\n          \"attributes\": {\"id\": \"vpc-1\", \"x\": \"]}\\\"[{\"}\n        }\n      ]\n    },\n    {\"mode\": \"data\", \"type\": \"aws_ami\", \"name\": \"a\", \"instances\": [{\"attributes\": {}}]}\n  ],\n  \"outputs\": {}\n}\n";

    #[test]
    fn resources_are_cut_out_and_lines_kept() {
        // Tiny blocks: every state of the splitter crosses a block boundary.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(3).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let s = split(Trickle(STATE.as_bytes()), "s.tfstate").unwrap_or_else(|e| panic!("{e}"));
        let skeleton = String::from_utf8_lossy(&s.skeleton);
        assert!(s.had_resources);
        assert_eq!(
            skeleton.lines().count(),
            STATE.lines().count(),
            "{skeleton}"
        );
        let v: serde_json::Value = serde_json::from_slice(&s.skeleton).unwrap_or_default();
        assert_eq!(v["resources"], serde_json::json!([]));
        assert_eq!(v["version"], 4);
        let addrs: Vec<(&str, Option<u32>)> = s
            .streamed
            .instances
            .iter()
            .map(|i| (i.address.as_str(), i.line))
            .collect();
        assert_eq!(
            addrs,
            vec![("aws_vpc.main", Some(9)), ("data.aws_ami.a", Some(14))]
        );
    }

    #[test]
    fn truncation_is_reported_with_its_line() {
        let cut = &STATE[..STATE.len() / 2];
        match split(cut.as_bytes(), "s.tfstate") {
            Err(StateError::Json { detail, .. }) => {
                assert!(detail.contains("truncated"), "{detail}")
            }
            other => panic!("{:?}", other.err()),
        }
    }
}
