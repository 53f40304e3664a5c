//! `Simulation::save` / `load`: the whole dynamic state in one file, so a
//! run continues bit for bit in a freshly compiled network of the same
//! structure.
//!
//! Format (little-endian): the magic `CAJALSTA`, a format version (u32),
//! the payload length (u64), an FNV-1a 64-bit checksum of the payload, then
//! the payload: the network's signature (text: dt, populations with size,
//! model and slot names, projections with ends, synapse count and slot
//! names), the clock (step, time origin, seed, draws), then every
//! population (slot values, spike history, rate histories) and every
//! projection (slot values). A file from another network, a truncated or a
//! corrupted one is refused before anything changes.

use crate::engine::{PopSnapshot, Snapshot};
use crate::error::{Error, Result};
use crate::network::Network;

const MAGIC: &[u8; 8] = b"CAJALSTA";
/// Version of the format this build writes and reads.
pub const VERSION: u32 = 1;

fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What identifies a network's structure in a state file.
pub fn signature(net: &Network) -> String {
    let mut s = format!("dt {}\n", net.dt);
    for p in &net.pops {
        let names: Vec<&str> = p.ir.vars.iter().map(|v| v.name.as_str()).collect();
        s += &format!(
            "population {} {} {} [{}]\n",
            p.name,
            p.size(),
            p.ir.name,
            names.join(",")
        );
    }
    for pr in &net.projs {
        let names: Vec<&str> = pr.ir.vars.iter().map(|v| v.name.as_str()).collect();
        s += &format!(
            "projection {} {}->{} {} [{}]\n",
            pr.name,
            net.pops[pr.pre.0].name,
            net.pops[pr.post.0].name,
            pr.synapses.post.len(),
            names.join(",")
        );
    }
    s
}

/// The clock part of a saved state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Clock {
    pub(crate) step: u64,
    pub(crate) t_origin: f64,
    pub(crate) step_origin: u64,
    pub(crate) seed: u64,
    pub(crate) draws: u64,
}

#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f32s(&mut self, v: &[f32]) {
        self.u32(v.len() as u32);
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn u32s(&mut self, v: &[u32]) {
        self.u32(v.len() as u32);
        for x in v {
            self.u32(*x);
        }
    }
    fn text(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct R<'a> {
    data: &'a [u8],
    at: usize,
    file: &'a str,
}

impl R<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.data.len() - self.at < n {
            return Err(Error::invalid(
                self.file,
                "the state file is truncated (it ends inside its data)",
            ));
        }
        let s = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }
    fn f32s(&mut self) -> Result<Vec<f32>> {
        let n = self.u32()? as usize;
        let b = self.take(n.saturating_mul(4))?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn text(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.u32()? as usize;
        let b = self.take(n.saturating_mul(4))?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// Serialises a state.
pub(crate) fn encode(sig: &str, clock: Clock, s: &Snapshot) -> Vec<u8> {
    let mut w = W::default();
    w.text(sig);
    w.u64(clock.step);
    w.u64(clock.t_origin.to_bits());
    w.u64(clock.step_origin);
    w.u64(clock.seed);
    w.u64(clock.draws);
    w.u32(s.pops.len() as u32);
    for p in &s.pops {
        w.u32(p.vars.len() as u32);
        p.vars.iter().for_each(|v| w.f32s(v));
        w.u32(p.spikes.len() as u32);
        p.spikes.iter().for_each(|v| w.u32s(v));
        w.u32(p.hist.len() as u32);
        for (slot, rows) in &p.hist {
            w.u32(*slot);
            w.u32(rows.len() as u32);
            rows.iter().for_each(|v| w.f32s(v));
        }
    }
    w.u32(s.projs.len() as u32);
    for p in &s.projs {
        w.u32(p.len() as u32);
        p.iter().for_each(|v| w.f32s(v));
    }
    let payload = w.0;
    let mut out = Vec::with_capacity(payload.len() + 28);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Parses and checks a state file against the network's signature.
pub(crate) fn decode(file: &str, data: &[u8], sig: &str) -> Result<(Clock, Snapshot)> {
    if data.len() < 28 || &data[..8] != MAGIC {
        return Err(Error::invalid(file, "not a cajal state file"));
    }
    let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    if version != VERSION {
        return Err(Error::invalid(
            file,
            format!("state format version {version}; this build reads version {VERSION}"),
        ));
    }
    let len = u64::from_le_bytes(data[12..20].try_into().unwrap_or_default()) as usize;
    let sum = u64::from_le_bytes(data[20..28].try_into().unwrap_or_default());
    let payload = &data[28..];
    if payload.len() < len {
        return Err(Error::invalid(
            file,
            format!(
                "the state file is truncated ({} of {len} bytes of data)",
                payload.len()
            ),
        ));
    }
    let payload = &payload[..len];
    if fnv1a(payload) != sum {
        return Err(Error::invalid(
            file,
            "the state file is corrupted (its checksum does not match its data)",
        ));
    }
    let mut r = R {
        data: payload,
        at: 0,
        file,
    };
    let saved = r.text()?;
    if saved != sig {
        let diff = saved
            .lines()
            .zip(sig.lines())
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("the file has '{a}', this network '{b}'"))
            .unwrap_or_else(|| "a different number of populations or projections".into());
        return Err(Error::invalid(
            file,
            format!("the state was saved from a different network: {diff}"),
        ));
    }
    let clock = Clock {
        step: r.u64()?,
        t_origin: f64::from_bits(r.u64()?),
        step_origin: r.u64()?,
        seed: r.u64()?,
        draws: r.u64()?,
    };
    let mut pops = Vec::new();
    for _ in 0..r.u32()? {
        let vars = (0..r.u32()?).map(|_| r.f32s()).collect::<Result<_>>()?;
        let spikes = (0..r.u32()?).map(|_| r.u32s()).collect::<Result<_>>()?;
        let mut hist = Vec::new();
        for _ in 0..r.u32()? {
            let slot = r.u32()?;
            let rows = (0..r.u32()?).map(|_| r.f32s()).collect::<Result<_>>()?;
            hist.push((slot, rows));
        }
        pops.push(PopSnapshot { vars, spikes, hist });
    }
    let mut projs = Vec::new();
    for _ in 0..r.u32()? {
        projs.push((0..r.u32()?).map(|_| r.f32s()).collect::<Result<_>>()?);
    }
    Ok((clock, Snapshot { pops, projs }))
}
