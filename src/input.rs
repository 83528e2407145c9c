//! Every file parity reads is a regular file of bounded size.
//!
//! A FIFO would block the read forever, a device (`/dev/zero`) would never
//! end, and a multi-gigabyte file would exhaust memory: each is refused
//! before it is opened, with an error naming the file and the limit
//! (docs/limits.md). The checks return `std::io::Error`s so each loader
//! words them with its own "cannot read FILE: ..." sentence.

use std::io::{self, Read};
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// Size limits, in bytes, by kind of file (docs/limits.md).
pub const TF_FILE: u64 = 64 * MIB;
pub const TFVARS_FILE: u64 = 64 * MIB;
/// Files read by `file()`, `templatefile()` and the other `file*` functions.
pub const FUNCTION_FILE: u64 = 64 * MIB;
pub const CONFIG_FILE: u64 = 16 * MIB;
/// State and plan JSON: state files of hundreds of MB are read (streamed).
pub const STATE_FILE: u64 = 2 * 1024 * MIB;
pub const SNAPSHOT_FILE: u64 = 1024 * MIB;
pub const BASELINE_FILE: u64 = 256 * MIB;
/// Lock files, module manifests, rule packs.
pub const SMALL_FILE: u64 = 64 * MIB;

/// Instances one `count`/`for_each` may create (per block and instance of
/// the enclosing module).
pub const INSTANCES_PER_BLOCK: usize = 100_000;
/// Resource instances one environment may hold in total.
pub const INSTANCES_PER_ENVIRONMENT: usize = 1_000_000;
/// Elements a `for` expression (or a function building a collection) may
/// produce.
pub const COLLECTION_ELEMENTS: usize = 1_000_000;
/// Iterations one `for` expression may run, the `for`s nested in it
/// included, per value of the `values` limit: nested `for`s whose bodies
/// build little (`length([for j in x: length([for k in x: ...])])`) pass
/// the values limit and would otherwise multiply their work without end.
pub const FOR_ITERATIONS_PER_VALUE: usize = 10;
/// How deep `templatefile()` calls may nest (a template that renders a
/// template ...); a cycle is reported as soon as it closes.
pub const TEMPLATE_DEPTH: usize = 32;

/// The limits in force: the defaults above, or what parity.toml's
/// `[limits]` table sets (docs/limits.md). The size of parity.toml itself
/// and of lock files, manifests and rule packs, and the template depth,
/// are not configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub tf_file: u64,
    pub tfvars_file: u64,
    pub function_file: u64,
    pub state_file: u64,
    pub snapshot_file: u64,
    pub baseline_file: u64,
    pub instances_per_block: usize,
    pub instances_per_environment: usize,
    pub values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        DEFAULT_LIMITS
    }
}

const DEFAULT_LIMITS: Limits = Limits {
    tf_file: TF_FILE,
    tfvars_file: TFVARS_FILE,
    function_file: FUNCTION_FILE,
    state_file: STATE_FILE,
    snapshot_file: SNAPSHOT_FILE,
    baseline_file: BASELINE_FILE,
    instances_per_block: INSTANCES_PER_BLOCK,
    instances_per_environment: INSTANCES_PER_ENVIRONMENT,
    values: COLLECTION_ELEMENTS,
};

/// The keys of `[limits]` in parity.toml; the first six are sizes.
pub const LIMIT_KEYS: &[&str] = &[
    "tf-file",
    "tfvars-file",
    "function-file",
    "state-file",
    "snapshot-file",
    "baseline-file",
    "instances-per-block",
    "instances-per-environment",
    "values",
];

impl Limits {
    /// Set the limit of `key` (one of [`LIMIT_KEYS`]); false for another key.
    pub fn set(&mut self, key: &str, n: u64) -> bool {
        let count = usize::try_from(n).unwrap_or(usize::MAX);
        match key {
            "tf-file" => self.tf_file = n,
            "tfvars-file" => self.tfvars_file = n,
            "function-file" => self.function_file = n,
            "state-file" => self.state_file = n,
            "snapshot-file" => self.snapshot_file = n,
            "baseline-file" => self.baseline_file = n,
            "instances-per-block" => self.instances_per_block = count,
            "instances-per-environment" => self.instances_per_environment = count,
            "values" => self.values = count,
            _ => return false,
        }
        true
    }
}

static LIMITS: std::sync::RwLock<Limits> = std::sync::RwLock::new(DEFAULT_LIMITS);

/// The limits in force in this process.
pub fn limits() -> Limits {
    *LIMITS.read().unwrap_or_else(|p| p.into_inner())
}

/// Put `limits` in force (`run::Session::open`, from parity.toml).
pub fn set_limits(limits: Limits) {
    *LIMITS.write().unwrap_or_else(|p| p.into_inner()) = limits;
}

/// A size as written in parity.toml: a number of bytes, or a number with
/// `KiB`, `MiB`, `GiB` (or `KB`, `MB`, `GB`, read as the same powers of
/// two).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "kb" | "k" => 1024,
        "mib" | "mb" | "m" => MIB,
        "gib" | "gb" | "g" => 1024 * MIB,
        _ => return None,
    };
    n.checked_mul(factor)
}

pub fn human(bytes: u64) -> String {
    if bytes >= 1024 * MIB {
        format!("{:.1} GiB", bytes as f64 / (1024 * MIB) as f64).replace(".0 GiB", " GiB")
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64).replace(".0 MiB", " MiB")
    } else {
        format!("{bytes} bytes")
    }
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        return "a directory";
    }
    "not a regular file"
}

/// Check that `path` (symlinks followed) is a regular file of at most
/// `limit` bytes, without opening it. Returns its size.
pub fn check(path: &Path, limit: u64) -> io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind_of(&ft)),
        ));
    }
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit));
    }
    Ok(meta.len())
}

fn too_large(size: u64, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "it is {}, over the limit of {} for this kind of file (docs/limits.md)",
            if size == u64::MAX {
                format!("over {}", human(limit))
            } else if human(size) == human(limit) {
                format!("{size} bytes")
            } else {
                human(size)
            },
            human(limit)
        ),
    )
}

/// Open a regular file of at most `limit` bytes for reading. The reader
/// stops after `limit + 1` bytes, so a file that grows while read cannot
/// make it unbounded.
pub fn open(path: &Path, limit: u64) -> io::Result<io::Take<std::fs::File>> {
    check(path, limit)?;
    Ok(std::fs::File::open(path)?.take(limit.saturating_add(1)))
}

/// Read a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let size = check(path, limit)?;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(too_large(u64::MAX, limit));
    }
    Ok(out)
}

/// Read a regular UTF-8 text file of at most `limit` bytes; invalid UTF-8
/// is an error naming the line of the first bad byte.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|e| {
        let line = invalid_utf8_line(e.as_bytes(), e.utf8_error().valid_up_to());
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line {line}: invalid UTF-8 (the file must be UTF-8 text)"),
        )
    })
}

/// The 1-based line of byte offset `at`.
pub fn invalid_utf8_line(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size("4 GiB"), Some(4 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("1 TiB"), None);
        assert_eq!(parse_size("MiB"), None);
        assert_eq!(human(2 << 30), "2 GiB");
        assert_eq!(human(3 << 29), "1.5 GiB");
    }

    #[test]
    fn refuses_devices_and_directories() {
        #[cfg(unix)]
        {
            let e = check(Path::new("/dev/zero"), 10).unwrap_err();
            assert!(e.to_string().contains("character device"), "{e}");
        }
        let e = check(Path::new("."), 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }

    #[test]
    fn refuses_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(read(&p, 10).unwrap().len(), 10);
        let e = read(&p, 9).unwrap_err();
        assert!(e.to_string().contains("over the limit of 9 bytes"), "{e}");
    }

    #[test]
    fn names_the_line_of_invalid_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"a\nb\n\xff").unwrap();
        let e = read_text(&p, 100).unwrap_err();
        assert!(e.to_string().starts_with("line 3: invalid UTF-8"), "{e}");
    }
}
