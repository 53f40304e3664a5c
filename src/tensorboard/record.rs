//! The bytes of a TensorBoard event file: TFRecord framing with CRC32C,
//! and the few protobuf messages an event needs, encoded by hand.
//!
//! A TFRecord is `length` (u64, little-endian), the masked CRC32C of those
//! 8 bytes (u32), the `length` bytes of data and the masked CRC32C of the
//! data. Each record of an event file is one `Event` message
//! (tensorflow/core/util/event.proto); the first says `file_version:
//! "brain.Event:2"`.

use crate::error::{Error, Result};

/// The CRC32C (Castagnoli polynomial, reflected 0x82F63B78) lookup table,
/// built at compile time.
const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// The CRC32C (Castagnoli) checksum of `data`, the one TFRecord files use
/// (not the CRC32 of zip and PNG).
///
/// ```
/// assert_eq!(cajal::tensorboard::record::crc32c(b"123456789"), 0xE306_9283);
/// ```
pub fn crc32c(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// The masked CRC32C TFRecord stores: the checksum rotated right by 15
/// bits plus 0xa282ead8, so that a CRC of data that holds CRCs stays
/// informative.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    crc32c(data).rotate_right(15).wrapping_add(0xa282_ead8)
}

/// `data` framed as one TFRecord.
pub fn frame(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
    out
}

/// The records of a TFRecord file's bytes, each checked against its two
/// checksums; `file` names the file in errors. A truncated or corrupted
/// record is an error saying which record and what is wrong.
pub fn records<'a>(bytes: &'a [u8], file: &str) -> Result<Vec<&'a [u8]>> {
    let bad = |k: usize, at: usize, what: &str| {
        Error::invalid(
            format!("TFRecord file '{file}'"),
            format!("record {k} (byte {at}): {what}"),
        )
    };
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let k = out.len();
        let head = bytes
            .get(at..at + 12)
            .ok_or_else(|| bad(k, at, "truncated header"))?;
        if word(&head[8..]) != masked_crc32c(&head[..8]) {
            return Err(bad(k, at, "the length's checksum does not match"));
        }
        let len = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| (at + 12).checked_add(n))
            .filter(|&e| e.checked_add(4).is_some_and(|e4| e4 <= bytes.len()))
            .ok_or_else(|| bad(k, at, &format!("truncated: {len} bytes of data announced")))?;
        let data = &bytes[at + 12..end];
        if word(&bytes[end..end + 4]) != masked_crc32c(data) {
            return Err(bad(k, at, "the data's checksum does not match"));
        }
        out.push(data);
        at = end + 4;
    }
    Ok(out)
}

/// A protobuf message being encoded: fields appended in any order, each a
/// key (field number and wire type) and its value. Only what event files
/// need: varints, 64- and 32-bit floats, length-delimited bytes, nested
/// messages and packed doubles.
#[derive(Default)]
pub(crate) struct Pb(pub(crate) Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(((field as u64) << 3) | wire as u64);
    }

    /// An int32, int64, enum or bool field (negative numbers as protobuf
    /// writes them: ten bytes, two's complement).
    pub(crate) fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.key(field, 0);
        self.varint(v as u64);
        self
    }

    pub(crate) fn double(&mut self, field: u32, v: f64) -> &mut Self {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.0.extend_from_slice(v);
        self
    }

    pub(crate) fn message(&mut self, field: u32, m: &Pb) -> &mut Self {
        self.bytes(field, &m.0)
    }

    pub(crate) fn packed_doubles(&mut self, field: u32, v: &[f64]) -> &mut Self {
        self.key(field, 2);
        self.varint(8 * v.len() as u64);
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
        self
    }
}

/// An `Event` message: `wall_time` (1), `step` (2, left out without one,
/// as tensorboardX does) and either `file_version` (3) or `summary` (5).
pub(crate) fn event(wall_time: f64, step: Option<i64>, what: EventBody) -> Vec<u8> {
    let mut e = Pb::default();
    e.double(1, wall_time);
    if let Some(s) = step {
        e.int(2, s);
    }
    match what {
        EventBody::FileVersion(v) => e.bytes(3, v.as_bytes()),
        EventBody::Summary(s) => e.message(5, s),
    };
    e.0
}

/// What an event carries.
pub(crate) enum EventBody<'a> {
    FileVersion(&'a str),
    Summary(&'a Pb),
}

/// A `Summary` (tensorflow/core/framework/summary.proto) of one
/// `Summary.Value`: its tag (1) and what `value` adds (its oneof member or
/// its metadata).
pub(crate) fn summary(tag: &str, value: impl FnOnce(&mut Pb)) -> Pb {
    let mut v = Pb::default();
    v.bytes(1, tag.as_bytes());
    value(&mut v);
    let mut s = Pb::default();
    s.message(1, &v);
    s
}
