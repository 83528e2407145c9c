//! The low level the grammar stands on: looking at bytes, whitespace and
//! comments the way hcl-edit counts them, identifiers (ASCII only; other
//! bytes are left to hcl-edit), line numbers and the nesting limit.

use super::{Parser, MAX_DEPTH};

/// Byte classes: bit 0 identifier start, bit 1 identifier continue
/// (ASCII only; other bytes are left to hcl-edit).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b'_' {
            t[c] |= 1;
        }
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            t[c] |= 2;
        }
        c += 1;
    }
    t
};

#[inline]
pub(super) fn id_start(c: u8) -> bool {
    CLASS[c as usize] & 1 != 0
}

#[inline]
pub(super) fn id_continue(c: u8) -> bool {
    CLASS[c as usize] & 2 != 0
}

/// The high bit of every byte of `x` that is zero (exact per byte: no
/// carries between bytes).
#[inline]
pub(super) fn zero_bytes(x: u64) -> u64 {
    const HI: u64 = 0x8080_8080_8080_8080;
    let nonzero = ((x & !HI).wrapping_add(!HI) | x) & HI;
    HI & !nonzero
}

/// Number of `\n` bytes, eight at a time.
fn count_newlines(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    let mut chunks = s.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ (LO * u64::from(b'\n'));
        n += zero_bytes(x).count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|&&c| c == b'\n').count()
}

impl<'a> Parser<'a, '_> {
    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    pub(super) fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    #[inline]
    pub(super) fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or(&[])
    }

    #[inline]
    pub(super) fn starts(&self, s: &[u8]) -> bool {
        self.rest().starts_with(s)
    }

    #[inline]
    pub(super) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The byte `c`, or decline (`None`: the caller falls back to hcl-edit).
    #[inline]
    pub(super) fn require(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    pub(super) fn require_str(&mut self, s: &[u8]) -> Option<()> {
        if self.starts(s) {
            self.pos += s.len();
            Some(())
        } else {
            None
        }
    }

    #[inline]
    pub(super) fn slice(&self, from: usize) -> Option<&'a str> {
        self.src.get(from..self.pos)
    }

    /// `\n` or `\r\n`.
    pub(super) fn line_ending(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                true
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }

    /// The rest of a `#` or `//` comment, up to (not including) the line
    /// ending. A lone `\r` in it makes hcl-edit reject the comment.
    pub(super) fn line_comment_body(&mut self) -> Option<()> {
        let rest = self.rest();
        match rest.iter().position(|&c| c == b'\n' || c == b'\r') {
            None => {
                self.pos = self.b.len();
                Some(())
            }
            Some(i) => {
                if rest[i] == b'\r' && rest.get(i + 1) != Some(&b'\n') {
                    return None;
                }
                self.pos += i;
                Some(())
            }
        }
    }

    /// `/* … */`; `None` when unterminated.
    fn block_comment(&mut self) -> Option<()> {
        let body = self.b.get(self.pos + 2..)?;
        let end = body.windows(2).position(|w| w == b"*/")?;
        self.pos += 2 + end + 2;
        Some(())
    }

    /// hcl-edit's `ws`: spaces, tabs, line endings and all comments.
    pub(super) fn ws(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'#') => self.line_comment_body()?,
                Some(b'/') => match self.peek_at(1) {
                    Some(b'/') => self.line_comment_body()?,
                    Some(b'*') => self.block_comment()?,
                    _ => return Some(()),
                },
                _ => return Some(()),
            }
        }
    }

    /// hcl-edit's `sp`: spaces, tabs and `/* */` comments.
    pub(super) fn sp(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.block_comment()?,
                _ => return Some(()),
            }
        }
    }

    #[inline]
    pub(super) fn ws_or_sp(&mut self, nl: bool) -> Option<()> {
        if nl {
            self.ws()
        } else {
            self.sp()
        }
    }

    /// `opt(line_comment)` after a structure or a block's `{`.
    pub(super) fn opt_line_comment(&mut self) -> Option<()> {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'#'), _) | (Some(b'/'), Some(b'/')) => self.line_comment_body(),
            _ => Some(()),
        }
    }

    /// An ASCII identifier; `None` when it does not start one or runs into
    /// a non-ASCII character (hcl-edit's Unicode identifiers are left to
    /// it).
    pub(super) fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !id_start(self.peek()?) {
            return None;
        }
        self.pos += 1;
        while let Some(c) = self.peek() {
            if id_continue(c) {
                self.pos += 1;
            } else if c >= 0x80 {
                return None;
            } else {
                break;
            }
        }
        self.slice(start)
    }

    pub(super) fn line_of(&mut self, offset: usize) -> u32 {
        if offset < self.line_pos {
            self.line = 1;
            self.line_pos = 0;
        }
        let seg = self.b.get(self.line_pos..offset).unwrap_or(&[]);
        self.line += count_newlines(seg) as u32;
        self.line_pos = offset;
        self.line
    }

    /// hcl-edit's `nested`: one level deeper, in its own operator scope.
    pub(super) fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let saved = self.ops;
        self.ops = 0;
        let r = f(self);
        self.ops = saved.max(self.ops);
        self.depth -= 1;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::count_newlines;

    #[test]
    fn newline_count() {
        let text = "a\nb\n\n\n\u{e9}\n\u{80a}\u{a80}xxxxxxxxxxxxx\nxx\n\n";
        for i in 0..text.len() {
            for j in i..text.len() {
                let s = &text.as_bytes()[i..j];
                assert_eq!(count_newlines(s), s.iter().filter(|&&c| c == b'\n').count());
            }
        }
    }
}
