//! Files: the saved state of a simulation, a projection's connectivity.
//!
//! Both are binary, little-endian, framed the same way: an 8-byte magic, a
//! format version (u32), the payload length (u64) and an FNV-1a 64-bit
//! checksum of the payload, so a truncated or corrupted file is refused
//! before anything is read from it.

pub mod connectivity;
pub mod state;

use crate::error::{Error, Result};

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
