//! `Simulation::save` / `load`: the whole dynamic state in one file, so a
//! run continues bit for bit in a freshly compiled network of the same
//! structure.
//!
//! Format (little-endian): the magic `CAJALSTA`, a format version (u32),
//! the payload length (u64), an FNV-1a 64-bit checksum of the payload, then
//! the payload: the network's signature (text: dt, populations with size,
//! model and slot names, projections with ends, synapse count and slot
//! names), the clock (step, time origin, seed, draws), then every
//! population (slot values, spike history, rate histories), every
//! projection (slot values), (since version 2) every projection's
//! delay ring, the next step's row first (empty without one), and (since
//! version 3) the network's constants: their names (text, one a line) and
//! current values. A file from another network, a truncated or a corrupted
//! one is refused before anything changes; a version 1 file (no rings: it
//! could not be saved from a network with them) is read as having none,
//! and a file before version 3 as having no constants' values (constants
//! could not change after compilation then).

use super::{unframe, R, W};
use crate::engine::{PopSnapshot, Snapshot};
use crate::error::{Error, Result};
use crate::network::Network;
use crate::real::{Dtype, Reals};

const MAGIC: &[u8; 8] = b"CAJALSTA";
/// Version of the format this build writes (it reads 1 and 2 too).
pub const VERSION: u32 = 3;

/// What identifies a network's structure in a state file: dt, the
/// populations (size, model, slots), the projections (ends, synapses and
/// their delays, slots).
pub fn signature(net: &Network) -> String {
    let mut s = format!("dt {}\n", net.dt);
    // An f64 network's state holds f64 values: it loads only into an f64
    // network (an f32 network's signature is the same as before f64 came).
    if net.precision() == crate::real::Dtype::F64 {
        s += "dtype float64\n";
    }
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
        // The synapses themselves: a network rebuilt with another seed has
        // the same counts but not the same connectivity.
        let syn = &pr.synapses;
        let mut bytes = Vec::with_capacity(syn.post.len() * 12);
        for ((a, b), d) in syn.post.iter().zip(&syn.pre).zip(&syn.delay) {
            bytes.extend_from_slice(&a.to_le_bytes());
            bytes.extend_from_slice(&b.to_le_bytes());
            bytes.extend_from_slice(&d.to_le_bytes());
        }
        // Procedural synapses are their generator.
        if let Some(g) = &pr.procedural {
            bytes.extend_from_slice(
                format!(
                    "{:?}",
                    (g.seed, g.p, &g.weight, g.delay, &g.delay_table, g.skip_self)
                )
                .as_bytes(),
            );
        }
        s += &format!(
            "projection {} {}->{} {} synapses {:016x} [{}]\n",
            pr.name,
            net.pops[pr.pre.0].name,
            net.pops[pr.post.0].name,
            syn.post.len(),
            super::fnv1a(&bytes),
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

/// Serialises a state (`file` names it in errors); `constants` names the
/// network's constants, whose values are the snapshot's.
pub(crate) fn encode(
    file: &str,
    sig: &str,
    clock: Clock,
    s: &Snapshot,
    constants: &[&str],
    dtype: Dtype,
) -> Result<Vec<u8>> {
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
        p.vars.iter().for_each(|v| w.reals(v));
        w.u32(p.spikes.len() as u32);
        p.spikes.iter().for_each(|v| w.u32s(v));
        w.u32(p.hist.len() as u32);
        for (slot, rows) in &p.hist {
            w.u32(*slot);
            w.u32(rows.len() as u32);
            rows.iter().for_each(|v| w.reals(v));
        }
    }
    w.u32(s.projs.len() as u32);
    for p in &s.projs {
        w.u32(p.len() as u32);
        p.iter().for_each(|v| w.reals(v));
    }
    s.rings.iter().for_each(|v| w.reals(v));
    w.text(&constants.join("\n"));
    w.reals(&Reals::of(dtype, s.constants.iter().copied()));
    w.finish(file, MAGIC, VERSION)
}

/// A decoded state: the clock, the engine's part, and the names of the
/// constants whose values the snapshot holds (`None` before version 3: no
/// values).
pub(crate) type Decoded = (Clock, Snapshot, Option<Vec<String>>);

/// Parses and checks a state file against the network's signature.
pub(crate) fn decode(file: &str, data: &[u8], sig: &str, dtype: Dtype) -> Result<Decoded> {
    let (version, payload) = unframe(file, data, MAGIC, 1..=VERSION, "state")?;
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
        let vars = (0..r.u32()?)
            .map(|_| r.reals(dtype))
            .collect::<Result<_>>()?;
        let spikes = (0..r.u32()?).map(|_| r.u32s()).collect::<Result<_>>()?;
        let mut hist = Vec::new();
        for _ in 0..r.u32()? {
            let slot = r.u32()?;
            let rows = (0..r.u32()?)
                .map(|_| r.reals(dtype))
                .collect::<Result<_>>()?;
            hist.push((slot, rows));
        }
        pops.push(PopSnapshot { vars, spikes, hist });
    }
    let mut projs = Vec::new();
    for _ in 0..r.u32()? {
        projs.push(
            (0..r.u32()?)
                .map(|_| r.reals(dtype))
                .collect::<Result<_>>()?,
        );
    }
    let rings = if version >= 2 {
        (0..projs.len())
            .map(|_| r.reals(dtype))
            .collect::<Result<_>>()?
    } else {
        vec![Reals::empty(dtype); projs.len()]
    };
    let (names, constants) = if version >= 3 {
        let text = r.text()?;
        let names: Vec<String> = text.lines().map(str::to_string).collect();
        let values = r.reals(dtype)?.into_f64();
        if values.len() != names.len() {
            return Err(Error::invalid(
                file,
                format!(
                    "the state names {} constants but holds {} values",
                    names.len(),
                    values.len()
                ),
            ));
        }
        (Some(names), values)
    } else {
        (None, Vec::new())
    };
    // The version is outside the checksum: a version 3 file whose version
    // reads 2 (one flipped bit) would otherwise load without its
    // constants' values, the bytes that hold them ignored.
    let left = payload.len() - r.at;
    if left > 0 {
        return Err(Error::invalid(
            file,
            format!("the state has {left} bytes after its data (is its format version {version} right?)"),
        ));
    }
    let snap = Snapshot {
        pops,
        projs,
        rings,
        constants,
    };
    Ok((clock, snap, names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::frame;

    fn snapshot(rings: Vec<Vec<f32>>, constants: Vec<f64>) -> Snapshot {
        Snapshot {
            pops: vec![PopSnapshot {
                vars: vec![vec![1.0f32, 2.0].into(), vec![3.0f32].into()],
                spikes: vec![vec![1], vec![]],
                hist: vec![(0, vec![vec![0.5f32, 0.25].into()])],
            }],
            projs: vec![vec![vec![4.0f32; 3].into()], vec![]],
            rings: rings.into_iter().map(Reals::F32).collect(),
            constants,
        }
    }

    const CLOCK: Clock = Clock {
        step: 7,
        t_origin: 0.7,
        step_origin: 0,
        seed: 3,
        draws: 1,
    };

    #[test]
    fn rings_and_constants_round_trip_and_older_versions_read_as_having_none() {
        let with = snapshot(vec![vec![], vec![1.0, 0.0, 2.5, 0.0]], vec![1.5, -2.0]);
        let bytes = encode("f", "sig", CLOCK, &with, &["tau", "g_max"], Dtype::F32).unwrap();
        let names = Some(vec!["tau".to_string(), "g_max".to_string()]);
        assert_eq!(
            decode("f", &bytes, "sig", Dtype::F32).unwrap(),
            (CLOCK, with, names)
        );
        // A version 2 payload is a version 3 one without the constants (an
        // empty name list and an empty value array: 4 bytes each here), a
        // version 1 payload one without the rings either (a length of 0
        // for each of the two projections).
        let none = snapshot(vec![vec![], vec![]], vec![]);
        let v3 = encode("f", "sig", CLOCK, &none, &[], Dtype::F32).unwrap();
        assert_eq!(
            decode("f", &v3, "sig", Dtype::F32).unwrap(),
            (CLOCK, none.clone(), Some(vec![]))
        );
        let v2 = frame(MAGIC, 2, &v3[28..v3.len() - 8]);
        assert_eq!(
            decode("f", &v2, "sig", Dtype::F32).unwrap(),
            (CLOCK, none.clone(), None)
        );
        let v1 = frame(MAGIC, 1, &v3[28..v3.len() - 16]);
        assert_eq!(
            decode("f", &v1, "sig", Dtype::F32).unwrap(),
            (CLOCK, none, None)
        );
        let v4 = frame(MAGIC, 4, &v3[28..]);
        let e = decode("f", &v4, "sig", Dtype::F32).unwrap_err().to_string();
        assert!(
            e.contains("version 4") && e.contains("versions 1 to 3"),
            "{e}"
        );
    }

    #[test]
    fn constants_names_and_values_must_agree() {
        let s = snapshot(vec![vec![], vec![]], vec![1.0]);
        let bytes = encode("f", "sig", CLOCK, &s, &["a", "b"], Dtype::F32).unwrap();
        let e = decode("f", &bytes, "sig", Dtype::F32)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 constants but holds 1 values"), "{e}");
    }
}
