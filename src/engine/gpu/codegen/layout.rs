//! Where populations' and projections' values live on the GPU, and the
//! WGSL that reads them.

use std::fmt::Write;

use super::Num;
use crate::lang::ir::{Expr, Locality, NeuronIr, SynapseIr};
use crate::real::{Dtype, Reals};

/// Numbers the per-element slots and the shared ones separately: for each
/// slot, its index among the per-element slots or among the shared ones.
pub fn split_slots(vars: &[crate::lang::ir::VarDecl]) -> (Vec<Option<u32>>, Vec<Option<u32>>) {
    let (mut l, mut g) = (0u32, 0u32);
    let (mut local, mut global) = (Vec::new(), Vec::new());
    for v in vars {
        if v.locality == Locality::Local {
            local.push(Some(l));
            global.push(None);
            l += 1;
        } else {
            local.push(None);
            global.push(Some(g));
            g += 1;
        }
    }
    (local, global)
}

/// Packs slot values (length `n` or 1) as uploaded: the per-element slots
/// one after the other (`extra` zeroed arrays of `n` after them), and the
/// shared ones.
pub fn pack_values(
    values: &[Reals],
    local: &[Option<u32>],
    n: usize,
    extra: usize,
    dtype: Dtype,
) -> (Reals, Reals) {
    let n_local = local.iter().flatten().count();
    let mut per = Reals::filled(dtype, 0.0, (n_local + extra) * n);
    let mut shared = Reals::empty(dtype);
    for (slot, v) in values.iter().enumerate() {
        match local[slot] {
            Some(li) => per.copy_at(li as usize * n, v),
            None => shared.extend_reals(&v.slice(0..1)),
        }
    }
    (per, shared)
}

/// Where a population's values live on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct PopLayout {
    /// Neurons.
    pub n: u32,
    /// Per slot: its index among the per-neuron slots (offset `index * n`
    /// in the state buffer), or `None` for population-wide ones.
    pub local: Vec<Option<u32>>,
    /// Per slot: its index in the parameter buffer, for population-wide ones.
    pub global: Vec<Option<u32>>,
    /// Number of per-neuron slots (the sums follow them).
    pub n_local: u32,
    /// Depth of the spike ring (0: no spiking projection reads it).
    pub ring: u32,
    /// Whether the spike ring keeps, after its `ring` counts, a bitmask
    /// of the spiking neurons per slot (`ceil(n / 32)` words each): the
    /// deterministic deliveries test a pre-synaptic neuron's bit, where
    /// the lists' order varies from run to run.
    pub ring_bits: bool,
    /// Whether a spike monitor reads the bitmasks.
    pub bits: bool,
    /// Slots whose past values delayed rate projections read.
    pub hist_slots: Vec<u32>,
    /// Depth of the rate history ring.
    pub hist_ring: u32,
    /// Whether a DecodingProjection reads which neurons spiked last step
    /// (the `lastspk` array: ring number of the last spike, plus 2).
    pub last: bool,
    /// The firing-rate window (`frate`: each neuron's spike count in the
    /// window, then one bit a step of the window per neuron).
    pub fr: Option<crate::network::rate::FiringRate>,
}

impl PopLayout {
    /// The layout of a population of `n` neurons of model `ir`.
    pub fn new(ir: &NeuronIr, n: usize) -> Self {
        let (local, global) = split_slots(&ir.vars);
        let l = local.iter().flatten().count() as u32;
        PopLayout {
            n: n as u32,
            local,
            global,
            n_local: l,
            ring: 0,
            ring_bits: false,
            bits: false,
            hist_slots: Vec::new(),
            hist_ring: 0,
            last: false,
            fr: None,
        }
    }

    /// Element offset of a per-neuron slot in the state buffer.
    pub fn offset(&self, slot: u32) -> Option<u32> {
        self.local[slot as usize].map(|l| l * self.n)
    }

    /// Element offset of `sum(target)` number `t`.
    pub fn sum_offset(&self, t: u32) -> u32 {
        (self.n_local + t) * self.n
    }

    /// Words of the spike ring's counts buffer (`spk_count`): a count a
    /// slot, then, with `ring_bits`, a bitmask a slot.
    pub fn count_words(&self) -> u64 {
        let r = u64::from(self.ring);
        if self.ring_bits {
            r + r * u64::from(self.bit_words())
        } else {
            r
        }
    }

    /// Words of one bitmask of the neurons (`ceil(n / 32)`).
    pub fn bit_words(&self) -> u32 {
        self.n.div_ceil(32)
    }

    /// Words of the `frate` buffer: the counts, then `ceil(steps / 32)`
    /// words of window bits per neuron.
    pub fn fr_words(&self) -> Option<u64> {
        self.fr
            .map(|f| u64::from(self.n) * (1 + u64::from(f.steps.div_ceil(32))))
    }

    /// Number of population-wide slots.
    pub fn n_global(&self) -> u32 {
        self.global.iter().flatten().count() as u32
    }
}

/// Where a projection's values live on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjLayout {
    /// Synapses.
    pub nsyn: u32,
    /// Per slot: index among per-synapse slots (offset `index * nsyn`).
    pub local: Vec<Option<u32>>,
    /// Per slot: index among projection-wide slots.
    pub global: Vec<Option<u32>>,
}

impl ProjLayout {
    /// The layout of `nsyn` synapses of model `ir`.
    pub fn new(ir: &SynapseIr, nsyn: usize) -> Self {
        let (local, global) = split_slots(&ir.vars);
        ProjLayout {
            nsyn: nsyn as u32,
            local,
            global,
        }
    }

    pub(super) fn var(&self, v: u32, index: &str) -> Option<(String, bool)> {
        match (self.local.get(v as usize)?, self.global.get(v as usize)?) {
            (Some(li), _) => Some((format!("syn[{}u + {index}]", li * self.nsyn), false)),
            (None, Some(g)) => Some((format!("sparams[{g}]"), true)),
            _ => None,
        }
    }
}

/// What a rate or spike kernel needs to know of its two populations.
pub struct Ends<'a> {
    /// Pre-synaptic layout.
    pub pre: &'a PopLayout,
    /// Post-synaptic layout.
    pub post: &'a PopLayout,
    /// Whether pre and post are the same population (one binding).
    pub same: bool,
    /// State-buffer slot of each `pre.x`.
    pub pre_slots: Vec<u32>,
    /// State-buffer slot of each `post.x`.
    pub post_slots: Vec<u32>,
    /// Elements of a batch: the synapses connect the neurons of each
    /// element (`n / batch` of each population) to the same element.
    pub batch: u32,
}

impl Ends<'_> {
    /// Neurons of one batch element: (pre, post).
    pub(super) fn element(&self) -> (u32, u32) {
        (self.pre.n / self.batch, self.post.n / self.batch)
    }
}

/// In a batched kernel, splits rank `rank` (of a population of `el`
/// neurons an element) into element `bi` and the rank `local` within it,
/// and returns that local name with the offset (` + bi * other`) that moves
/// a rank of the other side into the same element; unbatched, the rank
/// itself and no offset.
pub(super) fn split_element(
    body: &mut String,
    indent: &str,
    batch: u32,
    rank: &'static str,
    local: &'static str,
    el: u32,
    other: u32,
) -> (&'static str, String) {
    if batch > 1 {
        let _ = writeln!(
            body,
            "{indent}let bi = {rank} / {el}u;\n{indent}let {local} = {rank} - bi * {el}u;"
        );
        (local, format!(" + bi * {other}u"))
    } else {
        (rank, String::new())
    }
}

/// A leaf of the per-synapse kernels (`synapse_update`, `post_spike`)
/// other than a synapse variable: `pre.x` at rank `pj`, `post.x` at rank
/// `pi`, t, dt.
pub(super) fn neuron_leaf(
    e: &Expr,
    ends: &Ends,
    pre_buf: &str,
    num: Num,
) -> Option<(String, bool)> {
    let at = |l: &PopLayout, slot: u32, buf: &str, idx: &str| match l.offset(slot) {
        Some(o) => (format!("{buf}[{o}u + {idx}]"), false),
        None => (num.lit(0.0), false),
    };
    match e {
        Expr::Pre(k) => Some(at(ends.pre, ends.pre_slots[*k as usize], pre_buf, "pj")),
        Expr::Post(k) => Some(at(ends.post, ends.post_slots[*k as usize], "post", "pi")),
        Expr::Time => Some(("clk.t".into(), true)),
        Expr::Dt => Some((num.dt(), true)),
        _ => None,
    }
}
