//! `parity-parse-diff DIR...`: the fast HCL parser against hcl-edit.
//!
//! For every `.tf` and `.tfvars` file under the given directories (hidden
//! directories such as `.git` and `.terraform` skipped), parses the text
//! with `terraform::fastparse` and with the hcl-edit path of
//! `parse::parse_hcl` and prints: files, files the fast parser accepted,
//! fallbacks (hcl-edit accepts, the fast parser declines — with where it
//! stopped), files both reject, and mismatches (the fast parser accepts and
//! hcl-edit rejects, or both accept and the IR differs — with the first
//! difference). Exits 1 when there is a mismatch. Used on public corpora
//! (never committed); see docs/benchmarks.md.
//!
//! `--speed N` instead times both parsers over the files, N rounds each
//! (after one warm-up), and prints the fastest round: sequential MB/s of
//! `fastparse::parse`, of `parse::parse_hcl` (fast path with fallback), of
//! `parse::parse_hcl_with(…, false)` (the hcl-edit path alone) and of
//! `hcl_edit::parser::parse_body`.
//!
//! It also checks the template strings of every accepted file:
//! `fastparse::template` (what evaluation parses templates with) must
//! build the very template hcl-rs's `Template::from_str` builds, or
//! decline; the counts and any mismatch are printed.
//!
//! `--fuzz N` checks N mangled copies of every file (bytes replaced by
//! syntax characters, ranges deleted or duplicated, truncation): the fast
//! parser must decline whatever hcl-edit rejects and agree with it on the
//! rest. Mismatches are printed with the mangled text's file name and seed.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use parity::sources::terraform::fastparse;
use parity::sources::terraform::parse::{self, Body};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() && !p.is_symlink() {
            walk(&p, out);
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") {
            out.push(p);
        }
    }
}

fn short(s: String) -> String {
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

/// The first place where two bodies differ, as a readable path.
fn first_difference(fast: &Body, slow: &Body, path: &str) -> Option<String> {
    for (i, s) in slow.attributes.iter().enumerate() {
        let Some(f) = fast.attributes.get(i) else {
            return Some(format!("{path}: attribute `{}` missing", s.name));
        };
        if f != s {
            return Some(format!(
                "{path}: attribute `{}` (line {}): fast {} / hcl-edit {}",
                s.name,
                s.line,
                short(format!("{:?} line {} {:?}", f.expr, f.line, f.ignore)),
                short(format!("{:?} line {} {:?}", s.expr, s.line, s.ignore)),
            ));
        }
    }
    if fast.attributes.len() != slow.attributes.len() {
        return Some(format!("{path}: extra attributes"));
    }
    for (i, s) in slow.blocks.iter().enumerate() {
        let Some(f) = fast.blocks.get(i) else {
            return Some(format!("{path}: block `{}` missing", s.kind));
        };
        let here = format!("{path}/{} {}", s.kind, s.labels.join(" "));
        if f.kind != s.kind || f.labels != s.labels || f.line != s.line || f.ignore != s.ignore {
            return Some(format!(
                "{here}: header differs: fast {:?} {:?} line {} / hcl-edit line {}",
                f.kind, f.labels, f.line, s.line
            ));
        }
        if let Some(d) = first_difference(&f.body, &s.body, &here) {
            return Some(d);
        }
    }
    if fast.blocks.len() != slow.blocks.len() {
        return Some(format!("{path}: extra blocks"));
    }
    None
}

/// The fastest of `rounds` timed runs of `f` over all texts (after one
/// warm-up run).
fn fastest(texts: &[String], rounds: usize, f: impl Fn(&str) -> bool) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut ok = 0;
    for round in 0..=rounds {
        let t = Instant::now();
        ok = texts.iter().filter(|t| f(t)).count();
        if round > 0 {
            best = best.min(t.elapsed());
        }
    }
    (best, ok)
}

fn speed(files: &[PathBuf], rounds: usize) {
    let texts: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|t| parse::strip_bom(&t).to_string())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let show = |name: &str, (d, ok): (Duration, usize)| {
        println!(
            "{name:<28} {:>8.1} ms {:>7.1} MB/s  ({ok} of {} files accepted)",
            d.as_secs_f64() * 1e3,
            bytes as f64 / d.as_secs_f64() / 1e6,
            texts.len()
        );
    };
    println!(
        "{} files, {bytes} bytes, fastest of {rounds} rounds, sequential",
        texts.len()
    );
    show(
        "fastparse::parse",
        fastest(&texts, rounds, |t| fastparse::parse(t).is_some()),
    );
    if std::env::var_os("PARITY_PARSE_DIFF_FAST_ONLY").is_some() {
        return;
    }
    let path = Path::new("x.tf");
    show(
        "parse::parse_hcl",
        fastest(&texts, rounds, |t| {
            parse::parse_hcl(t, path, "x.tf").is_ok()
        }),
    );
    show(
        "parse_hcl, hcl-edit path",
        fastest(&texts, rounds, |t| {
            parse::parse_hcl_with(t, path, "x.tf", false).is_ok()
        }),
    );
    show(
        "hcl_edit parse_body",
        fastest(&texts, rounds, |t| hcl::edit::parser::parse_body(t).is_ok()),
    );
}

/// One mangled copy of `text` (a few random edits), if still UTF-8.
fn mangle(text: &str, rng: &mut impl FnMut() -> u64) -> Option<String> {
    const CHARS: &[u8] = b"{}[]()\"$%~#/*\n\r\t =:,.?<>-!+&|\\ax0_e";
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..(1 + rng() % 3) {
        if bytes.is_empty() {
            break;
        }
        let at = (rng() as usize) % bytes.len();
        match rng() % 5 {
            0 | 1 => bytes[at] = CHARS[(rng() as usize) % CHARS.len()],
            2 => {
                let end = (at + 1 + (rng() as usize) % 20).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + 1 + (rng() as usize) % 40).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = (rng() as usize) % bytes.len();
                bytes.splice(to..to, copy);
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8(bytes).ok()
}

fn fuzz(files: &[PathBuf], rounds: usize) -> usize {
    let (mut tried, mut accepted, mut mismatches) = (0usize, 0usize, 0usize);
    for (i, file) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
        let mut rng = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..rounds {
            let Some(m) = mangle(&text, &mut rng) else {
                continue;
            };
            tried += 1;
            let m = parse::strip_bom(&m);
            let Some(fast) = fastparse::parse(m) else {
                continue;
            };
            accepted += 1;
            let bad = match parse::parse_hcl_with(m, file, "x", false) {
                Ok(slow) => fast != slow.body || hcl::edit::parser::parse_body(m).is_err(),
                Err(_) => true,
            };
            if bad {
                mismatches += 1;
                let out = std::env::temp_dir().join(format!("parse-diff-fuzz-{i}-{round}.tf"));
                let _ = std::fs::write(&out, m);
                println!(
                    "  MISMATCH {} (round {round}): {}",
                    file.display(),
                    out.display()
                );
            }
        }
    }
    println!("fuzz: {tried} mangled files, {accepted} accepted by the fast parser, {mismatches} mismatches");
    mismatches
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut option = |name: &str| -> anyhow::Result<Option<usize>> {
        let Some(i) = args.iter().position(|a| a == name) else {
            return Ok(None);
        };
        args.remove(i);
        let n = if i < args.len() {
            args.remove(i)
        } else {
            String::new()
        };
        let n = n
            .parse::<usize>()
            .map_err(|_| anyhow::anyhow!("{name} N"))?;
        Ok(Some(n))
    };
    let rounds = option("--speed")?;
    let fuzz_rounds = option("--fuzz")?;
    let dirs: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
    if dirs.is_empty() {
        anyhow::bail!("usage: parity-parse-diff [--speed N | --fuzz N] DIR...");
    }
    let mut files = Vec::new();
    for dir in &dirs {
        walk(dir, &mut files);
    }
    if let Some(rounds) = rounds {
        speed(&files, rounds.max(1));
        return Ok(());
    }
    if let Some(rounds) = fuzz_rounds {
        if fuzz(&files, rounds) > 0 {
            std::process::exit(1);
        }
        return Ok(());
    }
    let (mut total, mut bytes, mut not_utf8, mut accepted, mut both_reject) = (0, 0, 0, 0, 0);
    let mut fallbacks = Vec::new();
    let mut mismatches = Vec::new();
    // Template strings: seen, built by the fast path, declined by it.
    let mut templates = (0usize, 0usize, 0usize);
    let (mut fast_time, mut slow_time) = (Duration::ZERO, Duration::ZERO);
    for file in &files {
        let Ok(raw) = std::fs::read(file) else {
            continue;
        };
        total += 1;
        let Ok(text) = String::from_utf8(raw) else {
            not_utf8 += 1;
            continue;
        };
        bytes += text.len();
        let text = parse::strip_bom(&text);
        let shown = file.display().to_string();
        let t = Instant::now();
        let fast = fastparse::parse(text);
        fast_time += t.elapsed();
        let t = Instant::now();
        let slow = parse::parse_hcl_with(text, file, &shown, false);
        slow_time += t.elapsed();
        if let Some(f) = &fast {
            for t in fastparse::template_texts(f) {
                templates.0 += 1;
                match (
                    fastparse::template(&t),
                    t.parse::<hcl::template::Template>(),
                ) {
                    (Some(a), Ok(b)) if a == b => templates.1 += 1,
                    (Some(_), Ok(_)) => mismatches.push(format!("{shown}: template {t:?} differs")),
                    (Some(_), Err(_)) => mismatches.push(format!(
                        "{shown}: template {t:?} accepted by the fast path, rejected by hcl-edit"
                    )),
                    (None, _) => templates.2 += 1,
                }
            }
        }
        match (fast, slow) {
            (Some(f), Ok(s)) => {
                accepted += 1;
                if let Err(e) = hcl::edit::parser::parse_body(text) {
                    let e = e.to_string();
                    let e = e.lines().next().unwrap_or("");
                    mismatches.push(format!("{shown}: fast parser accepts, hcl-edit: {e}"));
                } else if let Some(d) = first_difference(&f, &s.body, "") {
                    mismatches.push(format!("{shown}: {d}"));
                } else if f != s.body {
                    mismatches.push(format!("{shown}: bodies differ"));
                }
            }
            (Some(_), Err(e)) => {
                accepted += 1;
                mismatches.push(format!("{shown}: fast parser accepts, hcl-edit: {e}"));
            }
            (None, Ok(_)) => {
                let at = fastparse::decline_position(text)
                    .map(|(l, c)| {
                        let line = text.lines().nth(l - 1).unwrap_or("").trim();
                        format!("{l}:{c}: {}", short(line.to_string()))
                    })
                    .unwrap_or_default();
                fallbacks.push(format!("{shown}:{at}"));
            }
            (None, Err(_)) => both_reject += 1,
        }
    }
    println!("files: {total} ({bytes} bytes; {not_utf8} not UTF-8, skipped)");
    println!("fast parser accepted: {accepted}");
    println!("fallback to hcl-edit: {}", fallbacks.len());
    for f in &fallbacks {
        println!("  fallback {f}");
    }
    println!("rejected by both: {both_reject}");
    println!(
        "template strings: {} ({} by the fast path, {} left to hcl-edit)",
        templates.0, templates.1, templates.2
    );
    println!("mismatches: {}", mismatches.len());
    for m in &mismatches {
        println!("  MISMATCH {m}");
    }
    println!(
        "time: fast {:.1} ms, hcl-edit {:.1} ms (sequential, all files)",
        fast_time.as_secs_f64() * 1e3,
        slow_time.as_secs_f64() * 1e3
    );
    if !mismatches.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
