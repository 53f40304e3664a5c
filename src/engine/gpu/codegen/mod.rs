//! IR -> WGSL: the generated kernels, assembled from the templates in
//! `shaders/`, and their validation with naga.
//!
//! The printer mirrors the CPU engine's evaluation exactly: the same
//! constant folding, a division of a per-neuron value by a uniform one as a
//! multiplication by the reciprocal (as `vm.rs`), both sides of a select
//! evaluated, comparisons as 0.0/1.0, `round` half away from zero, small
//! integer powers as products, random draws keyed as on the CPU.
//!
//! One file a kernel, named as its template `shaders/X.wgsl` and its CPU
//! twin `src/engine/cpu/X.rs`, holding its generator and its merged
//! variant; the printer, the layouts and the machinery of merged kernels
//! are shared.

mod clear_inputs;
mod convolve;
mod current_inject;
mod decode;
mod layout;
mod merged;
mod neuron_update;
mod post_spike;
mod printer;
mod rate_sum;
mod record;
mod spike_convolve;
mod spike_procedural;
mod spike_propagate;
mod synapse_update;

use crate::error::{Error, Result};

pub use clear_inputs::{clear_inputs, clear_inputs_merged, needs_clear};
pub use convolve::{convolve, convolve_tiles, convolve_transposed, TILE};
pub use current_inject::current_inject;
pub use decode::decode;
pub use layout::{pack_values, split_slots, Ends, PopLayout, ProjLayout};
pub use merged::MemberBinds;
pub use neuron_update::{neuron_update, neuron_update_merged, pop_buffers, NeuronBindings, PopBuf};
pub use post_spike::{post_spike, post_spike_merged, PostMember};
pub use printer::{lit, Printer};
pub use rate_sum::{rate_sum, rate_sum_merged, RateMember};
pub use record::{record, Recorded};
pub use spike_convolve::spike_convolve;
pub use spike_procedural::spike_procedural;
pub use spike_propagate::{block_lanes, spike_propagate, spike_propagate_merged, SpikeMember};
pub use synapse_update::{synapse_update, synapse_update_merged, LearnMember};

/// Functions every kernel includes (Philox, rounding, powers).
pub const COMMON: &str = include_str!("../../../../shaders/common.wgsl");

/// The per-step clock block and the thread index.
pub const CLOCK: &str = include_str!("../../../../shaders/clock.wgsl");

/// Threads per workgroup of every kernel.
pub const WORKGROUP: u32 = 64;

/// A generated kernel: its name (for errors) and source.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// e.g. `neuron_update[pop 'exc']`.
    pub name: String,
    /// The whole WGSL module.
    pub source: String,
    /// The generated part of `main`, which merged kernels are made of:
    /// without the range guard that returns (a merged kernel guards each
    /// member's range itself) or the lanes of a delivery's delay blocks
    /// (a merged delivery deals its own).
    pub body: String,
}

fn assemble(name: String, template: &str, bindings: &str, body: &str) -> Kernel {
    let main = template
        .replace("//{{BINDINGS}}\n", bindings)
        .replace("//{{BODY}}\n", body);
    Kernel {
        name,
        source: format!("{COMMON}\n{CLOCK}\n{main}"),
        body: body.to_string(),
    }
}

/// The capabilities generated kernels may use.
pub fn capabilities(float_atomics: bool) -> naga::valid::Capabilities {
    if float_atomics {
        naga::valid::Capabilities::SHADER_FLOAT32_ATOMIC
    } else {
        naga::valid::Capabilities::empty()
    }
}

/// Parses and validates a kernel with naga; an error carries the numbered source.
pub fn validate(k: &Kernel, float_atomics: bool) -> Result<naga::Module> {
    let numbered = || {
        k.source
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{:4} {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let module = naga::front::wgsl::parse_str(&k.source).map_err(|e| Error::Codegen {
        kernel: k.name.clone(),
        message: e.emit_to_string(&k.source),
        source_code: numbered(),
    })?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        capabilities(float_atomics),
    )
    .validate(&module)
    .map_err(|e| Error::Codegen {
        kernel: k.name.clone(),
        message: e.emit_to_string(&k.source),
        source_code: numbered(),
    })?;
    Ok(module)
}

/// WGSL adding `v` to the atomic f32 `place`: `atomicAdd` with
/// SHADER_FLOAT32_ATOMIC, otherwise a compare-exchange loop on its bits.
fn atomic_add(place: &str, v: &str, float_atomics: bool) -> String {
    if float_atomics {
        format!("atomicAdd(&{place}, {v});")
    } else {
        format!(
            "loop {{ let old = atomicLoad(&{place}); \
             let r = atomicCompareExchangeWeak(&{place}, old, bitcast<u32>(bitcast<f32>(old) + {v})); \
             if (r.exchanged) {{ break; }} }}"
        )
    }
}
