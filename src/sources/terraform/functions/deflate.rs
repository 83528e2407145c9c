//! `base64gzip` needs the exact bytes Terraform 1.11 writes: Go's
//! `compress/gzip` writer at its default level (6), written to, flushed and
//! closed. DEFLATE allows many encodings of the same data and every
//! compressor picks its own, so this is the algorithm of Go's
//! `compress/flate` (the implementation Go shipped up to 1.25): its hash
//! chains and lazy matching, its choice per block between stored, fixed and
//! dynamic Huffman codes, and its length-limited Huffman code construction.
//! The oracle cases pin the output against Terraform's.

/// Window and matching parameters of Go's `compress/flate`, level 6.
const WINDOW_SIZE: i64 = 1 << 15;
const WINDOW_MASK: i64 = WINDOW_SIZE - 1;
const BASE_MATCH_LENGTH: i64 = 3;
const MIN_MATCH_LENGTH: i64 = 4;
const MAX_MATCH_LENGTH: i64 = 258;
const BASE_MATCH_OFFSET: i64 = 1;
const MAX_FLATE_BLOCK_TOKENS: usize = 1 << 14;
const MAX_STORE_BLOCK_SIZE: usize = 65535;
const HASH_BITS: u32 = 17;
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: u32 = (1 << HASH_BITS) - 1;
const MAX_HASH_OFFSET: i64 = 1 << 24;
const HASH_MUL: u32 = 0x1e35_a7bd;
const GOOD: i64 = 8;
const LAZY: i64 = 16;
const NICE: i64 = 128;
const CHAIN: i64 = 128;

/// Literal/length codes (286) and distance codes (30); codes that write
/// code lengths (19).
const MAX_NUM_LIT: usize = 286;
const OFFSET_CODE_COUNT: usize = 30;
const CODEGEN_CODE_COUNT: usize = 19;
const END_BLOCK_MARKER: usize = 256;
const LENGTH_CODES_START: usize = 257;
const BAD_CODE: u8 = 255;

/// RFC 1951 3.2.5: extra bits and base of each length code (of the length
/// minus 3) and of each distance code (of the distance minus 1).
const LENGTH_EXTRA_BITS: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const LENGTH_BASE: [u32; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255,
];
const OFFSET_EXTRA_BITS: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const OFFSET_BASE: [u32; 30] = [
    0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0006, 0x0008, 0x000c, 0x0010, 0x0018, 0x0020, 0x0030,
    0x0040, 0x0060, 0x0080, 0x00c0, 0x0100, 0x0180, 0x0200, 0x0300, 0x0400, 0x0600, 0x0800, 0x0c00,
    0x1000, 0x1800, 0x2000, 0x3000, 0x4000, 0x6000,
];
/// The order code length code lengths are written in.
const CODEGEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Go's gzip writer: `NewWriter`, `Write(data)`, `Flush()`, `Close()`.
pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    // Magic, deflate, no flags, no mtime, no extra flags (level 6), OS
    // unknown (255).
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut c = Compressor::new();
    c.write(data);
    c.sync_flush();
    c.close();
    out.extend_from_slice(&c.w.out);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    // ISIZE: the length modulo 2^32.
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32 (IEEE), as gzip's trailer holds it.
fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    !data.iter().fold(!0u32, |crc, &b| {
        table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8)
    })
}

#[derive(Clone, Copy)]
enum Token {
    Literal(u8),
    /// Length minus 3, distance minus 1.
    Match {
        xlength: u32,
        xoffset: u32,
    },
    EndBlock,
}

fn length_code(xlength: u32) -> usize {
    // The last code whose base does not exceed the length: 255 (a length of
    // 258) is code 28, not 27's last slot.
    LENGTH_BASE.iter().rposition(|b| *b <= xlength).unwrap_or(0)
}

fn offset_code(xoffset: u32) -> usize {
    OFFSET_BASE.iter().rposition(|b| *b <= xoffset).unwrap_or(0)
}

struct Compressor {
    w: BitWriter,
    window: Vec<u8>,
    hash_head: Vec<u32>,
    hash_prev: Vec<u32>,
    hash_offset: i64,
    chain_head: i64,
    index: i64,
    window_end: i64,
    /// Where the pending tokens start in the window; `i32::MAX` once that
    /// part has been shifted out.
    block_start: i64,
    byte_available: bool,
    tokens: Vec<Token>,
    length: i64,
    offset: i64,
    max_insert_index: i64,
    sync: bool,
}

impl Compressor {
    fn new() -> Self {
        Compressor {
            w: BitWriter::new(),
            window: vec![0; 2 * WINDOW_SIZE as usize],
            hash_head: vec![0; HASH_SIZE],
            hash_prev: vec![0; WINDOW_SIZE as usize],
            hash_offset: 1,
            chain_head: -1,
            index: 0,
            window_end: 0,
            block_start: 0,
            byte_available: false,
            tokens: Vec::with_capacity(MAX_FLATE_BLOCK_TOKENS + 1),
            length: MIN_MATCH_LENGTH - 1,
            offset: 0,
            max_insert_index: 0,
            sync: false,
        }
    }

    fn write(&mut self, mut b: &[u8]) {
        while !b.is_empty() {
            self.deflate();
            let n = self.fill(b);
            b = &b[n..];
        }
    }

    fn sync_flush(&mut self) {
        self.sync = true;
        self.deflate();
        self.w.write_stored_header(0, false);
        self.w.flush();
        self.sync = false;
    }

    fn close(&mut self) {
        self.sync = true;
        self.deflate();
        self.w.write_stored_header(0, true);
        self.w.flush();
    }

    fn fill(&mut self, b: &[u8]) -> usize {
        if self.index >= 2 * WINDOW_SIZE - (MIN_MATCH_LENGTH + MAX_MATCH_LENGTH) {
            let ws = WINDOW_SIZE as usize;
            self.window.copy_within(ws..2 * ws, 0);
            self.index -= WINDOW_SIZE;
            self.window_end -= WINDOW_SIZE;
            if self.block_start >= WINDOW_SIZE {
                self.block_start -= WINDOW_SIZE;
            } else {
                self.block_start = i64::from(i32::MAX);
            }
            self.hash_offset += WINDOW_SIZE;
            if self.hash_offset > MAX_HASH_OFFSET {
                let delta = self.hash_offset - 1;
                self.hash_offset -= delta;
                self.chain_head -= delta;
                for v in self.hash_prev.iter_mut().chain(self.hash_head.iter_mut()) {
                    // Values are at most 2^24 + 2^16: they fit both types.
                    *v = if i64::from(*v) > delta {
                        (i64::from(*v) - delta) as u32
                    } else {
                        0
                    };
                }
            }
        }
        let start = self.window_end as usize;
        let n = b.len().min(self.window.len() - start);
        self.window[start..start + n].copy_from_slice(&b[..n]);
        self.window_end += n as i64;
        n
    }

    fn hash4(&self, at: i64) -> u32 {
        let at = at as usize;
        let b = &self.window[at..at + 4];
        let x =
            u32::from(b[3]) | u32::from(b[2]) << 8 | u32::from(b[1]) << 16 | u32::from(b[0]) << 24;
        x.wrapping_mul(HASH_MUL) >> (32 - HASH_BITS)
    }

    fn write_block(&mut self, index: i64) {
        if index > 0 {
            let input = (self.block_start <= index)
                .then(|| &self.window[self.block_start as usize..index as usize]);
            self.w.write_block(&self.tokens, false, input);
            self.block_start = index;
        }
    }

    /// Go's `findMatch`: the longest match at `pos` longer than
    /// `prev_length`, following at most `CHAIN` links.
    fn find_match(
        &self,
        pos: i64,
        prev_head: i64,
        prev_length: i64,
        lookahead: i64,
    ) -> Option<(i64, i64)> {
        let min_match_look = MAX_MATCH_LENGTH.min(lookahead);
        let nice = NICE.min(min_match_look);
        let mut tries = CHAIN;
        let mut length = prev_length;
        if length >= GOOD {
            tries >>= 2;
        }
        let win = &self.window;
        let mut w_end = win[(pos + length) as usize];
        let min_index = pos - WINDOW_SIZE;
        let mut found = None;
        let mut i = prev_head;
        while tries > 0 {
            if w_end == win[(i + length) as usize] {
                let (a, b) = (i as usize, pos as usize);
                let max = min_match_look as usize;
                let n = win[a..a + max]
                    .iter()
                    .zip(&win[b..b + max])
                    .take_while(|(x, y)| x == y)
                    .count() as i64;
                if n > length && (n > MIN_MATCH_LENGTH || pos - i <= 4096) {
                    length = n;
                    found = Some((n, pos - i));
                    if n >= nice {
                        break;
                    }
                    w_end = win[(pos + n) as usize];
                }
            }
            if i == min_index {
                break;
            }
            i = i64::from(self.hash_prev[(i & WINDOW_MASK) as usize]) - self.hash_offset;
            if i < min_index || i < 0 {
                break;
            }
            tries -= 1;
        }
        found
    }

    /// Go's `deflate` step with lazy matching (levels 4 to 9).
    fn deflate(&mut self) {
        if self.window_end - self.index < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH && !self.sync {
            return;
        }
        self.max_insert_index = self.window_end - (MIN_MATCH_LENGTH - 1);
        loop {
            let lookahead = self.window_end - self.index;
            if lookahead < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH {
                if !self.sync {
                    break;
                }
                if lookahead == 0 {
                    if self.byte_available {
                        let b = self.window[(self.index - 1) as usize];
                        self.tokens.push(Token::Literal(b));
                        self.byte_available = false;
                    }
                    if !self.tokens.is_empty() {
                        self.write_block(self.index);
                        self.tokens.clear();
                    }
                    break;
                }
            }
            if self.index < self.max_insert_index {
                let h = (self.hash4(self.index) & HASH_MASK) as usize;
                self.chain_head = i64::from(self.hash_head[h]);
                // chain_head came from a u32.
                self.hash_prev[(self.index & WINDOW_MASK) as usize] = self.chain_head as u32;
                self.hash_head[h] = (self.index + self.hash_offset) as u32;
            }
            let prev_length = self.length;
            let prev_offset = self.offset;
            self.length = MIN_MATCH_LENGTH - 1;
            self.offset = 0;
            let min_index = (self.index - WINDOW_SIZE).max(0);
            if self.chain_head - self.hash_offset >= min_index
                && lookahead > prev_length
                && prev_length < LAZY
            {
                if let Some((l, o)) = self.find_match(
                    self.index,
                    self.chain_head - self.hash_offset,
                    MIN_MATCH_LENGTH - 1,
                    lookahead,
                ) {
                    self.length = l;
                    self.offset = o;
                }
            }
            if prev_length >= MIN_MATCH_LENGTH && self.length <= prev_length {
                // The previous match is at least as good: emit it.
                self.tokens.push(Token::Match {
                    xlength: (prev_length - BASE_MATCH_LENGTH) as u32,
                    xoffset: (prev_offset - BASE_MATCH_OFFSET) as u32,
                });
                let new_index = self.index + prev_length - 1;
                self.index += 1;
                while self.index < new_index {
                    if self.index < self.max_insert_index {
                        let h = (self.hash4(self.index) & HASH_MASK) as usize;
                        self.hash_prev[(self.index & WINDOW_MASK) as usize] = self.hash_head[h];
                        self.hash_head[h] = (self.index + self.hash_offset) as u32;
                    }
                    self.index += 1;
                }
                self.byte_available = false;
                self.length = MIN_MATCH_LENGTH - 1;
                if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                    self.write_block(self.index);
                    self.tokens.clear();
                }
            } else {
                if self.byte_available {
                    let i = self.index - 1;
                    self.tokens.push(Token::Literal(self.window[i as usize]));
                    if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                        self.write_block(i + 1);
                        self.tokens.clear();
                    }
                }
                self.index += 1;
                self.byte_available = true;
            }
        }
    }
}

/// A Huffman code: bit pattern (already reversed for LSB-first output) and
/// length, per symbol.
#[derive(Clone)]
struct Encoder {
    code: Vec<u16>,
    len: Vec<u16>,
}

fn reverse_bits(number: u16, bit_length: u16) -> u16 {
    (number << (16 - bit_length)).reverse_bits()
}

impl Encoder {
    fn new(size: usize) -> Self {
        Encoder {
            code: vec![0; size],
            len: vec![0; size],
        }
    }

    fn fixed_literal() -> Self {
        let mut h = Encoder::new(MAX_NUM_LIT);
        for ch in 0..MAX_NUM_LIT as u16 {
            let (bits, size) = match ch {
                0..=143 => (ch + 48, 8),
                144..=255 => (ch + 400 - 144, 9),
                256..=279 => (ch - 256, 7),
                _ => (ch + 192 - 280, 8),
            };
            h.code[ch as usize] = reverse_bits(bits, size);
            h.len[ch as usize] = size;
        }
        h
    }

    fn fixed_offset() -> Self {
        let mut h = Encoder::new(OFFSET_CODE_COUNT);
        for i in 0..OFFSET_CODE_COUNT {
            h.code[i] = reverse_bits(i as u16, 5);
            h.len[i] = 5;
        }
        h
    }

    fn bit_length(&self, freq: &[i32]) -> i64 {
        freq.iter()
            .zip(&self.len)
            .filter(|(f, _)| **f != 0)
            .map(|(f, l)| i64::from(*f) * i64::from(*l))
            .sum()
    }

    /// Go's `huffmanEncoder.generate`: a code of at most `max_bits` bits.
    fn generate(&mut self, freq: &[i32], max_bits: i32) {
        let mut list: Vec<(u16, i32)> = Vec::with_capacity(freq.len() + 1);
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push((i as u16, f));
            } else {
                self.len[i] = 0;
            }
        }
        if list.len() <= 2 {
            for (i, &(lit, _)) in list.iter().enumerate() {
                self.code[lit as usize] = i as u16;
                self.len[lit as usize] = 1;
            }
            return;
        }
        list.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let bit_count = bit_counts(&list, max_bits);
        // assignEncodingAndSize: the least frequent get the longest codes;
        // within one length, codes go in symbol order.
        let mut code: u16 = 0;
        let mut rest = list.as_slice();
        for (n, &bits) in bit_count.iter().enumerate() {
            code = code.wrapping_shl(1);
            if n == 0 || bits == 0 {
                continue;
            }
            let split = rest.len() - bits as usize;
            let mut chunk = rest[split..].to_vec();
            chunk.sort_by_key(|(lit, _)| *lit);
            for (lit, _) in chunk {
                self.code[lit as usize] = reverse_bits(code, n as u16);
                self.len[lit as usize] = n as u16;
                code = code.wrapping_add(1);
            }
            rest = &rest[..split];
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Level {
    level: i32,
    last_freq: i32,
    next_char_freq: i32,
    next_pair_freq: i32,
    needed: i32,
}

/// Go's `bitCounts`: how many symbols get each code length, for a list
/// sorted by frequency (at least 3 symbols).
fn bit_counts(list: &[(u16, i32)], max_bits: i32) -> Vec<i32> {
    let n = list.len() as i32;
    let freq = |i: i32| list.get(i as usize).map_or(i32::MAX, |x| x.1);
    let max_bits = max_bits.min(n - 1);
    let mb = max_bits as usize;
    let mut levels = [Level::default(); 17];
    let mut leaf_counts = [[0i32; 17]; 17];
    for level in 1..=mb {
        levels[level] = Level {
            level: level as i32,
            last_freq: freq(1),
            next_char_freq: freq(2),
            next_pair_freq: if level == 1 {
                i32::MAX
            } else {
                freq(0).wrapping_add(freq(1))
            },
            needed: 0,
        };
        leaf_counts[level][level] = 2;
    }
    levels[mb].needed = 2 * n - 4;
    let mut level = mb;
    loop {
        let l = levels[level];
        if l.next_pair_freq == i32::MAX && l.next_char_freq == i32::MAX {
            levels[level].needed = 0;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }
        let prev_freq = l.last_freq;
        if l.next_char_freq < l.next_pair_freq {
            let next = leaf_counts[level][level] + 1;
            levels[level].last_freq = l.next_char_freq;
            leaf_counts[level][level] = next;
            levels[level].next_char_freq = freq(next);
        } else {
            levels[level].last_freq = l.next_pair_freq;
            let below = leaf_counts[level - 1];
            leaf_counts[level][..level].copy_from_slice(&below[..level]);
            levels[l.level as usize - 1].needed = 2;
        }
        levels[level].needed -= 1;
        if levels[level].needed == 0 {
            if l.level == max_bits {
                break;
            }
            levels[l.level as usize + 1].next_pair_freq =
                prev_freq.wrapping_add(levels[level].last_freq);
            level += 1;
        } else {
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }
    let counts = leaf_counts[mb];
    let mut bit_count = vec![0i32; mb + 1];
    for (bits, level) in (1..=mb).rev().enumerate() {
        bit_count[bits + 1] = counts[level] - counts[level - 1];
    }
    bit_count
}

/// Go's `huffmanBitWriter`, writing into memory.
struct BitWriter {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
    literal: Encoder,
    offset: Encoder,
    codegen_enc: Encoder,
    fixed_literal: Encoder,
    fixed_offset: Encoder,
}

impl BitWriter {
    fn new() -> Self {
        BitWriter {
            out: Vec::new(),
            bits: 0,
            nbits: 0,
            literal: Encoder::new(MAX_NUM_LIT),
            offset: Encoder::new(OFFSET_CODE_COUNT),
            codegen_enc: Encoder::new(CODEGEN_CODE_COUNT),
            fixed_literal: Encoder::fixed_literal(),
            fixed_offset: Encoder::fixed_offset(),
        }
    }

    fn write_bits(&mut self, b: u32, nb: u32) {
        self.bits |= u64::from(b) << self.nbits;
        self.nbits += nb;
        while self.nbits >= 8 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
    }

    /// Pad to a byte boundary.
    fn flush(&mut self) {
        if self.nbits > 0 {
            self.out.push(self.bits as u8);
        }
        self.bits = 0;
        self.nbits = 0;
    }

    fn write_stored_header(&mut self, length: usize, eof: bool) {
        self.write_bits(u32::from(eof), 3);
        self.flush();
        // length <= 65535: a stored block's limit.
        let length = length as u16;
        self.write_bits(u32::from(length), 16);
        self.write_bits(u32::from(!length), 16);
    }

    /// Go's `writeBlock`: the smallest of stored (when the input is at
    /// hand), fixed and dynamic Huffman.
    fn write_block(&mut self, tokens: &[Token], eof: bool, input: Option<&[u8]>) {
        let mut tokens = tokens.to_vec();
        tokens.push(Token::EndBlock);
        let mut lit_freq = [0i32; MAX_NUM_LIT];
        let mut off_freq = [0i32; OFFSET_CODE_COUNT];
        for t in &tokens {
            match *t {
                Token::Literal(b) => lit_freq[usize::from(b)] += 1,
                Token::EndBlock => lit_freq[END_BLOCK_MARKER] += 1,
                Token::Match { xlength, xoffset } => {
                    lit_freq[LENGTH_CODES_START + length_code(xlength)] += 1;
                    off_freq[offset_code(xoffset)] += 1;
                }
            }
        }
        let num_literals = lit_freq.iter().rposition(|f| *f != 0).map_or(0, |i| i + 1);
        let mut num_offsets = off_freq.iter().rposition(|f| *f != 0).map_or(0, |i| i + 1);
        if num_offsets == 0 {
            off_freq[0] = 1;
            num_offsets = 1;
        }
        self.literal.generate(&lit_freq, 15);
        self.offset.generate(&off_freq, 15);

        let stored = input.filter(|i| i.len() <= MAX_STORE_BLOCK_SIZE);
        let mut extra_bits: i64 = 0;
        if stored.is_some() {
            for code in LENGTH_CODES_START + 8..num_literals {
                extra_bits += i64::from(lit_freq[code])
                    * i64::from(LENGTH_EXTRA_BITS[code - LENGTH_CODES_START]);
            }
            for code in 4..num_offsets {
                extra_bits += i64::from(off_freq[code]) * i64::from(OFFSET_EXTRA_BITS[code]);
            }
        }
        let fixed_size = 3
            + self.fixed_literal.bit_length(&lit_freq)
            + self.fixed_offset.bit_length(&off_freq)
            + extra_bits;

        let (codegen, codegen_freq) = generate_codegen(
            &self.literal.len[..num_literals],
            &self.offset.len[..num_offsets],
        );
        self.codegen_enc.generate(&codegen_freq, 7);
        let mut num_codegens = CODEGEN_CODE_COUNT;
        while num_codegens > 4 && codegen_freq[CODEGEN_ORDER[num_codegens - 1]] == 0 {
            num_codegens -= 1;
        }
        let header = 3
            + 5
            + 5
            + 4
            + 3 * num_codegens as i64
            + self.codegen_enc.bit_length(&codegen_freq)
            + i64::from(codegen_freq[16]) * 2
            + i64::from(codegen_freq[17]) * 3
            + i64::from(codegen_freq[18]) * 7;
        let dynamic_size = header
            + self.literal.bit_length(&lit_freq)
            + self.offset.bit_length(&off_freq)
            + extra_bits;

        let dynamic = dynamic_size < fixed_size;
        let size = fixed_size.min(dynamic_size);
        if let Some(input) = stored {
            if ((input.len() as i64) + 5) * 8 < size {
                self.write_stored_header(input.len(), eof);
                // The stored header ends on a byte boundary.
                self.out.extend_from_slice(input);
                return;
            }
        }
        let (lit, off) = if dynamic {
            self.write_bits(if eof { 5 } else { 4 }, 3);
            self.write_bits((num_literals - 257) as u32, 5);
            self.write_bits((num_offsets - 1) as u32, 5);
            self.write_bits((num_codegens - 4) as u32, 4);
            for &order in &CODEGEN_ORDER[..num_codegens] {
                self.write_bits(u32::from(self.codegen_enc.len[order]), 3);
            }
            let cg = self.codegen_enc.clone();
            let mut i = 0;
            while codegen[i] != BAD_CODE {
                let word = usize::from(codegen[i]);
                i += 1;
                self.write_code(&cg, word);
                let extra = match word {
                    16 => 2,
                    17 => 3,
                    18 => 7,
                    _ => 0,
                };
                if extra > 0 {
                    self.write_bits(u32::from(codegen[i]), extra);
                    i += 1;
                }
            }
            (self.literal.clone(), self.offset.clone())
        } else {
            self.write_bits(if eof { 3 } else { 2 }, 3);
            (self.fixed_literal.clone(), self.fixed_offset.clone())
        };
        for t in &tokens {
            match *t {
                Token::Literal(b) => self.write_code(&lit, usize::from(b)),
                Token::EndBlock => self.write_code(&lit, END_BLOCK_MARKER),
                Token::Match { xlength, xoffset } => {
                    let lc = length_code(xlength);
                    self.write_code(&lit, lc + LENGTH_CODES_START);
                    if LENGTH_EXTRA_BITS[lc] > 0 {
                        self.write_bits(xlength - LENGTH_BASE[lc], LENGTH_EXTRA_BITS[lc]);
                    }
                    let oc = offset_code(xoffset);
                    self.write_code(&off, oc);
                    if OFFSET_EXTRA_BITS[oc] > 0 {
                        self.write_bits(xoffset - OFFSET_BASE[oc], OFFSET_EXTRA_BITS[oc]);
                    }
                }
            }
        }
    }

    fn write_code(&mut self, enc: &Encoder, symbol: usize) {
        self.write_bits(u32::from(enc.code[symbol]), u32::from(enc.len[symbol]));
    }
}

/// Go's `generateCodegen`: the code lengths of both codes, run-length
/// coded with 16 (repeat the previous 3-6 times), 17 (3-10 zeros) and 18
/// (11-138 zeros), ended by `BAD_CODE`; and how often each code occurs.
fn generate_codegen(lit_len: &[u16], off_len: &[u16]) -> (Vec<u8>, [i32; CODEGEN_CODE_COUNT]) {
    let mut freq = [0i32; CODEGEN_CODE_COUNT];
    // Code lengths are at most 15.
    let input: Vec<u8> = lit_len
        .iter()
        .chain(off_len)
        .map(|l| *l as u8)
        .chain(std::iter::once(BAD_CODE))
        .collect();
    let mut out = Vec::with_capacity(input.len());
    let mut size = input[0];
    let mut count: i32 = 1;
    let mut in_index = 1;
    while size != BAD_CODE {
        let next = input[in_index];
        in_index += 1;
        if next == size {
            count += 1;
            continue;
        }
        if size != 0 {
            out.push(size);
            freq[usize::from(size)] += 1;
            count -= 1;
            while count >= 3 {
                let n = count.min(6);
                out.push(16);
                out.push((n - 3) as u8);
                freq[16] += 1;
                count -= n;
            }
        } else {
            while count >= 11 {
                let n = count.min(138);
                out.push(18);
                out.push((n - 11) as u8);
                freq[18] += 1;
                count -= n;
            }
            if count >= 3 {
                out.push(17);
                out.push((count - 3) as u8);
                freq[17] += 1;
                count = 0;
            }
        }
        count -= 1;
        while count >= 0 {
            out.push(size);
            freq[usize::from(size)] += 1;
            count -= 1;
        }
        size = next;
        count = 1;
    }
    out.push(BAD_CODE);
    (out, freq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(gzip(data))
    }

    #[test]
    fn hello_as_terraform_writes_it() {
        // Terraform 1.11.4: base64gzip("hello").
        assert_eq!(
            b64(b"hello"),
            "H4sIAAAAAAAA/8pIzcnJBwAAAP//AQAA//+GphA2BQAAAA=="
        );
    }

    #[test]
    fn crc() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn codes() {
        assert_eq!(length_code(0), 0);
        assert_eq!(length_code(8), 8);
        assert_eq!(length_code(9), 8);
        assert_eq!(length_code(254), 27);
        assert_eq!(length_code(255), 28);
        assert_eq!(offset_code(0), 0);
        assert_eq!(offset_code(4), 4);
        assert_eq!(offset_code(5), 4);
        assert_eq!(offset_code(32767), 29);
    }
}
