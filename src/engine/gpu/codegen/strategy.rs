//! The ways of delivering a step's spikes, a type each (GeNN's
//! presynaptic update strategies): whether it suits a projection's rows,
//! how many threads it gives a spike and workgroups a kernel, and how it
//! spreads a spike's row over them.
//!
//! A trait and a type per strategy rather than one enum, so that each
//! strategy's choices sit together in its impl, and a new one (GeNN's
//! PostSpan, say) is a type and an entry in an order, not an arm in every
//! match. How a strategy walks a row depends on how the rows are held, so
//! that part is a subtrait per kind of row: [`StoredDelivery`] for rows
//! stored by (delay, pre) ([`spike_propagate`](super::spike_propagate)),
//! [`ProceduralDelivery`] for rows drawn again at each spike
//! ([`spike_procedural`](super::spike_procedural)). Each kernel takes only
//! its kind, so a strategy cannot be handed rows it cannot walk. The kind
//! of a projection is settled before any strategy (the CPU engine shares
//! it), so the choice is among the strategies of that kind:
//! [`stored_strategy`], [`procedural_strategy`].

use std::fmt::Write;

use super::layout::Ends;
use super::WORKGROUP;
use crate::connect::procedural::Procedural;
use crate::engine::gpu::{spike_groups, SpikeStrategy};

/// What the plan knows of a projection's rows (a row: the synapses of one
/// pre-synaptic neuron, at one delay) when it picks a strategy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rows {
    /// Stored rows by (delay, pre), `mean_len` synapses each on average.
    Stored {
        /// Synapses over rows (one per pre neuron of a batch element and
        /// delay).
        mean_len: f64,
    },
    /// Rows drawn again at each spike, in `chunks` chunks of post neurons
    /// ([`Procedural::chunks`]).
    Procedural {
        /// Chunks a row.
        chunks: u32,
    },
}

impl Rows {
    /// Stored rows: `synapses` over `rows` rows.
    pub fn stored(synapses: usize, rows: usize) -> Rows {
        Rows::Stored {
            mean_len: synapses as f64 / rows.max(1) as f64,
        }
    }

    /// The drawn rows of `gen`.
    pub fn procedural(gen: &Procedural) -> Rows {
        Rows::Procedural {
            chunks: gen.chunks(),
        }
    }
}

/// The mean row length from which [`WorkgroupPerSpike`] fits: below it,
/// most of a workgroup's threads would idle on a spike's row.
pub const LONG_ROW: f64 = 16.0;

/// A way of delivering spikes: what every strategy says, whatever its
/// rows.
pub trait DeliveryStrategy: std::fmt::Debug {
    /// What kernel names call it.
    fn name(&self) -> &'static str;

    /// Whether it suits a projection with these rows: `SpikeStrategy::Auto`
    /// takes the first of its order that does.
    fn fits(&self, rows: &Rows) -> bool;

    /// The threads that share one spike's row.
    fn threads_per_spike(&self, rows: &Rows) -> u32;

    /// The workgroups of its kernel reading the spikes of `n_pre` neurons;
    /// they loop over the spikes, however many. The engine dispatches
    /// [`spike_groups`] for every delivery (merged ones too), so a
    /// strategy asking for another count must change the dispatch with it.
    fn workgroups(&self, n_pre: u32) -> u32 {
        spike_groups(n_pre)
    }
}

/// How a strategy for stored rows spreads a block's spikes, and each
/// spike's row, over a workgroup's threads: WGSL expressions for the loop
/// over spikes (`k`, from the workgroup's place `cj_k0` among the `cj_sub`
/// sharing the block) and the loop over a row's positions (`e`, from the
/// row's start `csr[row]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strides {
    /// This thread's first spike.
    pub first_spike: &'static str,
    /// From one of its spikes to the next.
    pub spike_step: &'static str,
    /// Its first position in a spike's row.
    pub first_synapse: &'static str,
    /// From one of its positions to the next.
    pub synapse_step: &'static str,
}

/// A strategy that walks rows stored by (delay, pre).
pub trait StoredDelivery: DeliveryStrategy {
    /// Its walk over the spikes and their rows.
    fn strides(&self) -> Strides;
}

/// A strategy that walks rows drawn again at each spike.
pub trait ProceduralDelivery: DeliveryStrategy {
    /// Opens the loop over this thread's share of the spikes that `gen`
    /// delivers this step (read from the pre's spike ring) and their rows,
    /// setting for each its spiking pre `j` within batch element `bi`,
    /// `off` (the element's first post rank), and the `len` post ranks
    /// from `base` that this thread draws (chunk `c`).
    fn open_rows(&self, body: &mut String, gen: &Procedural, ends: &Ends);
}

/// GeNN's PreSpan with a team per spike: a workgroup per spike, whose
/// threads share its row. For long rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkgroupPerSpike;

impl DeliveryStrategy for WorkgroupPerSpike {
    fn name(&self) -> &'static str {
        "workgroup per spike"
    }

    fn fits(&self, rows: &Rows) -> bool {
        matches!(rows, Rows::Stored { mean_len } if *mean_len >= LONG_ROW)
    }

    fn threads_per_spike(&self, _: &Rows) -> u32 {
        WORKGROUP
    }
}

impl StoredDelivery for WorkgroupPerSpike {
    fn strides(&self) -> Strides {
        Strides {
            first_spike: "cj_k0",
            spike_step: "cj_sub",
            first_synapse: "csr[row] + lid",
            synapse_step: "64u",
        }
    }
}

/// GeNN's PreSpan: a thread per spike, walking its row alone. For short
/// rows, which would leave most of a workgroup idle; it walks any stored
/// rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadPerSpike;

impl DeliveryStrategy for ThreadPerSpike {
    fn name(&self) -> &'static str {
        "thread per spike"
    }

    fn fits(&self, rows: &Rows) -> bool {
        matches!(rows, Rows::Stored { .. })
    }

    fn threads_per_spike(&self, _: &Rows) -> u32 {
        1
    }
}

impl StoredDelivery for ThreadPerSpike {
    fn strides(&self) -> Strides {
        Strides {
            first_spike: "cj_k0 * 64u + lid",
            spike_step: "cj_sub * 64u",
            first_synapse: "csr[row]",
            synapse_step: "1u",
        }
    }
}

/// GeNN's PreSpanProcedural: a thread per (spike, chunk of its row), which
/// draws the chunk's synapses again. The only strategy for drawn rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadPerChunk;

impl DeliveryStrategy for ThreadPerChunk {
    fn name(&self) -> &'static str {
        "thread per chunk"
    }

    fn fits(&self, rows: &Rows) -> bool {
        matches!(rows, Rows::Procedural { .. })
    }

    /// A chunk's; a row not cut into chunks is one.
    fn threads_per_spike(&self, rows: &Rows) -> u32 {
        match rows {
            Rows::Procedural { chunks } => *chunks,
            Rows::Stored { .. } => 1,
        }
    }
}

impl ProceduralDelivery for ThreadPerChunk {
    fn open_rows(&self, body: &mut String, gen: &Procedural, ends: &Ends) {
        let (n_pre, ring) = (ends.pre.n, ends.pre.ring);
        let (el_pre, el_post) = ends.element();
        let (delay, chunk) = (gen.spike_delay(), gen.chunk);
        let chunks = self.threads_per_spike(&Rows::procedural(gen));
        let _ = writeln!(
            body,
            "    let slot = (clk.ring + {ring}u - {delay}u) % {ring}u;"
        );
        let _ = writeln!(body, "    let total = pre_count[slot] * {chunks}u;");
        let _ = writeln!(
            body,
            "    for (var item = group * 64u + lid; item < total; item = item + groups * 64u) {{"
        );
        let _ = writeln!(body, "        let n = item / {chunks}u;");
        let _ = writeln!(body, "        let c = item - n * {chunks}u;");
        let _ = writeln!(body, "        let pk = pre_list[slot * {n_pre}u + n];");
        // Batched: element `bi`'s neuron `j`, its targets in the same
        // element.
        let _ = writeln!(body, "        let bi = pk / {el_pre}u;");
        let _ = writeln!(body, "        let j = pk - bi * {el_pre}u;");
        let _ = writeln!(body, "        let off = bi * {el_post}u;");
        let _ = writeln!(body, "        let base = c * {chunk}u;");
        let _ = writeln!(
            body,
            "        let len = i32(min({chunk}u, {el_post}u - base));"
        );
    }
}

/// The strategies for stored rows, in the order `SpikeStrategy::Auto`
/// tries them: a workgroup per spike where rows are long, else a thread
/// per spike (which fits any).
pub const STORED_ORDER: [&dyn StoredDelivery; 2] = [&WorkgroupPerSpike, &ThreadPerSpike];

/// The strategies for drawn rows, in the order `SpikeStrategy::Auto`
/// tries them.
pub const PROCEDURAL_ORDER: [&dyn ProceduralDelivery; 1] = [&ThreadPerChunk];

/// The strategy `choice` gives stored `rows`: the one it names, or with
/// `Auto` the first of [`STORED_ORDER`] that fits.
pub fn stored_strategy(choice: SpikeStrategy, rows: &Rows) -> &'static dyn StoredDelivery {
    match choice {
        SpikeStrategy::WorkgroupPerSpike => &WorkgroupPerSpike,
        SpikeStrategy::ThreadPerSpike => &ThreadPerSpike,
        SpikeStrategy::Auto => first_fit(&STORED_ORDER, rows),
    }
}

/// The strategy for drawn `rows`: the first of [`PROCEDURAL_ORDER`] that
/// fits, whatever the user's `SpikeStrategy` (which names strategies for
/// stored rows).
pub fn procedural_strategy(rows: &Rows) -> &'static dyn ProceduralDelivery {
    first_fit(&PROCEDURAL_ORDER, rows)
}

/// The first of `order` that fits `rows`, else its last.
fn first_fit<S: DeliveryStrategy + ?Sized>(order: &[&'static S], rows: &Rows) -> &'static S {
    let last = order[order.len() - 1];
    order.iter().copied().find(|s| s.fits(rows)).unwrap_or(last)
}
