//! Files: the saved state of a simulation, a projection's connectivity,
//! and how every file cajal writes is written ([`write_atomic`]).
//!
//! Both are binary, little-endian, framed the same way: an 8-byte magic, a
//! format version (u32), the payload length (u64) and an FNV-1a 64-bit
//! checksum of the payload, so a truncated or corrupted file is refused
//! before anything is read from it.

pub mod connectivity;
pub mod state;
pub mod stream;
pub use stream::{read_recording, read_recording_f64};

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` so that the file is either the old one or the
/// whole new one, never a mix: they go to a temporary file in the same
/// directory, which is flushed to the disk and then renamed over `path`
/// (a rename within a file system replaces atomically). A write that
/// fails part-way (disk full, quota, interruption) leaves the previous
/// file as it was and removes the temporary one.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("cajal-doc-atomic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let f = dir.join("out.txt");
/// cajal::io::write_atomic(&f, b"new")?;
/// assert_eq!(std::fs::read(&f)?, b"new");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    with_temp_path(path, |tmp| {
        use std::io::Write;
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })
}

/// Runs `write` on a temporary path beside `path` (same directory, same
/// extension, so that a writer choosing its format by the extension
/// chooses the same), then renames the result over `path`; on any error
/// the temporary file is removed and `path` is untouched. What
/// [`write_atomic`] and the plots use.
pub fn with_temp_path<E: std::fmt::Display>(
    path: &Path,
    write: impl FnOnce(&Path) -> std::result::Result<(), E>,
) -> Result<()> {
    let tmp = temp_beside(path);
    let fail = |message: String| Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(message),
    };
    if let Err(e) = write(&tmp) {
        std::fs::remove_file(&tmp).ok();
        return Err(fail(e.to_string()));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        std::fs::remove_file(&tmp).ok();
        return Err(Error::Io {
            path: path.display().to_string(),
            source: e,
        });
    }
    // The rename itself reaches the disk with the directory's entry.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            d.sync_all().ok();
        }
    }
    Ok(())
}

/// `.NAME.tmp-PID-N.EXT` in the directory of `path`.
fn temp_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stem = path
        .file_stem()
        .map_or_else(|| "cajal".into(), |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let name = format!(".{stem}.tmp-{}-{n}{ext}", std::process::id());
    path.with_file_name(name)
}

pub(crate) fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Frames a payload: magic, version, length, checksum, payload.
pub(crate) fn frame(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 28);
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Checks a framed file and returns its version and payload; `versions`
/// are those this build reads, `kind` names the file kind in errors.
pub(crate) fn unframe<'a>(
    file: &str,
    data: &'a [u8],
    magic: &[u8; 8],
    versions: std::ops::RangeInclusive<u32>,
    kind: &str,
) -> Result<(u32, &'a [u8])> {
    if data.len() < 28 || &data[..8] != magic {
        return Err(Error::invalid(file, format!("not a cajal {kind} file")));
    }
    let v = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    if !versions.contains(&v) {
        let reads = match (versions.start(), versions.end()) {
            (a, b) if a == b => format!("version {a}"),
            (a, b) => format!("versions {a} to {b}"),
        };
        return Err(Error::invalid(
            file,
            format!("{kind} format version {v}; this build reads {reads}"),
        ));
    }
    let len = u64::from_le_bytes(data[12..20].try_into().unwrap_or_default()) as usize;
    let sum = u64::from_le_bytes(data[20..28].try_into().unwrap_or_default());
    let payload = &data[28..];
    if payload.len() < len {
        return Err(Error::invalid(
            file,
            format!(
                "the {kind} file is truncated ({} of {len} bytes of data)",
                payload.len()
            ),
        ));
    }
    let payload = &payload[..len];
    if fnv1a(payload) != sum {
        return Err(Error::invalid(
            file,
            format!("the {kind} file is corrupted (its checksum does not match its data)"),
        ));
    }
    Ok((v, payload))
}

#[derive(Default)]
pub(crate) struct W {
    bytes: Vec<u8>,
    /// The longest array written whose length a u32 cannot hold.
    too_long: Option<usize>,
}

impl W {
    pub(crate) fn u32(&mut self, x: u32) {
        self.bytes.extend_from_slice(&x.to_le_bytes());
    }
    /// An array's length (a u32 in the format).
    fn len(&mut self, n: usize) {
        if u32::try_from(n).is_err() {
            self.too_long = self.too_long.max(Some(n));
        }
        self.u32(n as u32);
    }
    /// The framed file, or an error naming `file` if an array was too
    /// long for the format (rather than a file that reads back wrong).
    pub(crate) fn finish(self, file: &str, magic: &[u8; 8], version: u32) -> Result<Vec<u8>> {
        match self.too_long {
            Some(n) => Err(Error::invalid(
                file,
                format!(
                    "an array of {n} values is too long for the file format (at most {} an array)",
                    u32::MAX
                ),
            )),
            None => Ok(frame(magic, version, &self.bytes)),
        }
    }
    pub(crate) fn u64(&mut self, x: u64) {
        self.bytes.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn f32s(&mut self, v: &[f32]) {
        self.len(v.len());
        for x in v {
            self.bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    /// Values in their precision: f32 as [`f32s`](Self::f32s) writes
    /// them, f64 the same way with 8 bytes each.
    pub(crate) fn reals(&mut self, v: &crate::real::Reals) {
        match v {
            crate::real::Reals::F32(v) => self.f32s(v),
            crate::real::Reals::F64(v) => {
                self.len(v.len());
                for x in v {
                    self.bytes.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    }
    pub(crate) fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        for x in v {
            self.u32(*x);
        }
    }
    pub(crate) fn text(&mut self, s: &str) {
        self.len(s.len());
        self.bytes.extend_from_slice(s.as_bytes());
    }
}

pub(crate) struct R<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) at: usize,
    pub(crate) file: &'a str,
}

impl R<'_> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.data.len() - self.at < n {
            return Err(Error::invalid(
                self.file,
                "the file is truncated (it ends inside its data)",
            ));
        }
        let s = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }
    pub(crate) fn f32s(&mut self) -> Result<Vec<f32>> {
        let n = self.u32()? as usize;
        let b = self.take(n.saturating_mul(4))?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    /// Values written by [`W::reals`] in `dtype`.
    pub(crate) fn reals(&mut self, dtype: crate::real::Dtype) -> Result<crate::real::Reals> {
        match dtype {
            crate::real::Dtype::F32 => self.f32s().map(crate::real::Reals::F32),
            crate::real::Dtype::F64 => {
                let n = self.u32()? as usize;
                let b = self.take(n.saturating_mul(8))?;
                Ok(crate::real::Reals::F64(
                    b.chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
                        .collect(),
                ))
            }
        }
    }
    pub(crate) fn text(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.u32()? as usize;
        let b = self.take(n.saturating_mul(4))?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = std::env::temp_dir().join(format!("cajal-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("state.bin");
        write_atomic(&f, b"old and good").unwrap();
        // A writer that fails part-way, as a full disk would.
        let e = with_temp_path(&f, |tmp| {
            std::fs::write(tmp, b"half").map_err(|e| e.to_string())?;
            Err::<(), _>("No space left on device".to_string())
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("state.bin") && e.contains("No space left"),
            "{e}"
        );
        assert_eq!(std::fs::read(&f).unwrap(), b"old and good");
        // Nothing but the file is left in the directory.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|d| d.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.bin")]);
        write_atomic(&f, b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        // A directory that does not exist: an error naming the file.
        let e = write_atomic(dir.join("no/such/dir/x.bin"), b"x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.bin"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_array_too_long_for_the_format_is_an_error_not_a_wrong_file() {
        let mut w = W::default();
        w.f32s(&[1.0, 2.0]);
        let ok = W {
            bytes: w.bytes.clone(),
            too_long: None,
        };
        assert!(ok.finish("f", b"CAJALTST", 1).is_ok());
        // The length alone: an array that long would take 16 GiB here.
        w.len(u32::MAX as usize + 1);
        let e = w
            .finish("big.state", b"CAJALTST", 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("big.state") && e.contains("4294967296"), "{e}");
    }
}
