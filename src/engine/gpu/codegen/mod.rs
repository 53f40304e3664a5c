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
//! twin `src/engine/cpu/X.rs` (or `X/`), holding its generator and its merged
//! variant; the printer, the layouts and the machinery of merged kernels
//! are shared.
//!
//! A kernel's binding numbers are written once on this side: in the
//! binding table ([`Binding`] rows) of its file, from which its WGSL
//! declarations are generated (the templates declare none) and which
//! [`Kernel::bindings`] reads back, for binding by name.

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
mod spike_convolve_gather;
mod spike_gather;
mod spike_procedural;
mod spike_procedural_ordered;
mod spike_propagate;
mod strategy;
mod synapse_update;

use crate::error::{Error, Result};
pub use crate::real::Dtype;

pub use clear_inputs::{clear_inputs, clear_inputs_merged, needs_clear};
pub use convolve::{convolve, convolve_tiles, convolve_transposed, TILE};
pub use current_inject::current_inject;
pub use decode::decode;
pub use layout::{pack_values, split_slots, Ends, PopLayout, ProjLayout};
pub use merged::{member_name, pop_buffer_name, MemberBinds};
pub use neuron_update::{neuron_update, neuron_update_merged, pop_buffers, PopBuf};
pub use post_spike::{post_spike, post_spike_merged, PostMember};
pub use printer::{lit, real_lit, Printer};
pub use rate_sum::{rate_sum, rate_sum_merged, RateMember};
pub use record::{record, record_inputs, Recorded};
pub use spike_convolve::spike_convolve;
pub use spike_convolve_gather::spike_convolve_gather;
pub use spike_gather::{spike_gather, spike_gather_merged, CsrByPost, GatherMember};
pub use spike_procedural::spike_procedural;
pub use spike_procedural_ordered::{
    procedural_ordered_parts, procedural_ordered_spike_walk, procedural_ordered_threads,
    spike_procedural_ordered,
};
pub use spike_propagate::{
    block_lanes, spike_propagate, spike_propagate_merged, Atomics, CsrByPre, PostRanks, SpikeEvent,
    SpikeMember, WeightBuffer,
};
pub use strategy::{
    procedural_strategy, stored_strategy, DeliveryStrategy, ProceduralDelivery, Rows,
    StoredDelivery, Strides, ThreadPerChunk, ThreadPerSpike, WorkgroupPerSpike, LONG_ROW,
    PROCEDURAL_ORDER, STORED_ORDER,
};
pub use synapse_update::{synapse_update, synapse_update_merged, LearnMember};

/// Functions every kernel of an f32 network includes (Philox, rounding,
/// powers, the elementary functions).
pub const COMMON: &str = concat!(
    include_str!("../../../../shaders/philox.wgsl"),
    "\n",
    include_str!("../../../../shaders/common.wgsl")
);

/// [`COMMON`]'s f64 twin: the same names over f64 (`shaders/common64.wgsl`),
/// on fdlibm's functions (`shaders/math64.wgsl`).
pub const COMMON64: &str = concat!(
    include_str!("../../../../shaders/philox.wgsl"),
    "\n",
    include_str!("../../../../shaders/math64.wgsl"),
    "\n",
    include_str!("../../../../shaders/common64.wgsl")
);

/// The functions a kernel in `dtype` includes.
pub fn common(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::F32 => COMMON,
        Dtype::F64 => COMMON64,
    }
}

/// The per-step clock block and the thread index, as a template: see
/// [`clock`].
pub const CLOCK: &str = include_str!("../../../../shaders/clock.wgsl");

/// The clock's WGSL with room for `vec4s` vec4 of constants (at least one:
/// a WGSL array is never empty), in `dtype`: an f64 network's clock holds
/// its time and constants in f64 (`gpu::clock_block` says where).
pub fn clock(vec4s: usize, dtype: Dtype) -> String {
    let c = CLOCK.replace("CJ_CONST_VEC4S", &format!("{}u", vec4s.max(1)));
    match dtype {
        Dtype::F32 => c,
        Dtype::F64 => c.replace("    t: f32,\n", "    t32: f32,\n").replace(
            "    consts: array<vec4<f32>,",
            "    t: f64,\n    consts: array<vec4<f64>,",
        ),
    }
}

/// The clock's WGSL for a kernel whose generated code is `main`: with room
/// for the constants it reads (`clk.consts[q]`, which the printer writes),
/// so that a kernel's source depends only on what it reads.
fn clock_for(main: &str, dtype: Dtype) -> String {
    let used = main
        .match_indices(CONSTS_READ)
        .filter_map(|(at, _)| {
            let rest = &main[at + CONSTS_READ.len()..];
            rest[..rest.find('u')?].parse::<usize>().ok()
        })
        .max()
        .map_or(0, |q| q + 1);
    clock(used, dtype)
}

/// How generated code reads a vec4 of constants (see [`clock_for`]).
const CONSTS_READ: &str = "clk.consts[";

/// The network's numbers as generated code writes them: its precision
/// and its time step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num {
    /// The precision of its values.
    pub dtype: Dtype,
    /// The step (ms), as the network holds it.
    pub dt: f64,
}

impl Num {
    /// The numbers of a network in `dtype` with step `dt`.
    pub fn new(dtype: Dtype, dt: f64) -> Self {
        Num { dtype, dt }
    }

    /// The literal of `x` rounded to the precision.
    pub fn lit(self, x: f64) -> String {
        real_lit(self.dtype.round(x), self.dtype)
    }

    /// The literal of the step, as the CPU engine holds it.
    pub fn dt(self) -> String {
        self.lit(self.dt)
    }
}

/// WGSL reading value `index` of the values that start at word `base` of
/// the u32 buffer `buf`: one word each in f32, two (low, high) in f64
/// (`Reals::put_words` writes them so).
pub fn real_of_words(buf: &str, base: &str, index: &str, dtype: Dtype) -> String {
    match dtype {
        Dtype::F32 => format!("bitcast<f32>({buf}[{base} + {index}])"),
        Dtype::F64 => format!(
            "bitcast<f64>(u64({buf}[{base} + 2u * {index}]) | (u64({buf}[{base} + 2u * {index} + 1u]) << 32u))"
        ),
    }
}

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
    /// The network's precision, which its values, literals and included
    /// functions are in.
    pub dtype: Dtype,
}

impl Kernel {
    /// Its binding table: every binding its module declares, the clock's
    /// (0) included, in declaration order. The generators declare them
    /// from their tables ([`Binding::declaration`]) and this reads those
    /// lines back rather than keeping a copy in a field, so the table the
    /// engine binds by is the one the module declares, whatever edits the
    /// source went through (merged kernels rename their members' buffers).
    pub fn bindings(&self) -> Vec<Binding> {
        self.source.lines().filter_map(Binding::parse).collect()
    }

    /// The number of its binding named `name`.
    pub fn binding(&self, name: &str) -> Option<u32> {
        self.bindings()
            .into_iter()
            .find(|b| b.name == name)
            .map(|b| b.number)
    }
}

/// How a kernel reaches one of its bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A uniform block (the clock, a monitor's sampling).
    Uniform,
    /// A storage buffer the kernel only reads.
    Read,
    /// A storage buffer the kernel writes, atomically or not.
    ReadWrite,
}

impl Access {
    /// The WGSL address space (and access mode) of a `var` with this access.
    fn space(self) -> &'static str {
        match self {
            Access::Uniform => "uniform",
            Access::Read => "storage, read",
            Access::ReadWrite => "storage, read_write",
        }
    }
}

/// A row of a kernel's binding table: one binding of group 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Its binding number.
    pub number: u32,
    /// Its WGSL name (a merged kernel's member buffers carry the member's
    /// number: `syn_3`).
    pub name: String,
    /// How the kernel reaches it.
    pub access: Access,
    /// Its WGSL type (`array<f32>`, `Clock`...).
    pub ty: String,
}

impl Binding {
    /// The binding `number` named `name`.
    pub fn new(
        number: u32,
        name: impl Into<String>,
        access: Access,
        ty: impl Into<String>,
    ) -> Self {
        Binding {
            number,
            name: name.into(),
            access,
            ty: ty.into(),
        }
    }

    /// Its WGSL declaration (one line).
    pub fn declaration(&self) -> String {
        format!(
            "@group(0) @binding({}) var<{}> {}: {};",
            self.number,
            self.access.space(),
            self.name,
            self.ty
        )
    }

    /// The binding a line of WGSL declares, if it is a declaration as
    /// [`Binding::declaration`] writes them.
    fn parse(line: &str) -> Option<Binding> {
        let rest = line.strip_prefix("@group(0) @binding(")?;
        let (number, rest) = rest.split_once(") var<")?;
        let (space, rest) = rest.split_once("> ")?;
        let (name, ty) = rest.strip_suffix(';')?.split_once(": ")?;
        let access = [Access::Uniform, Access::Read, Access::ReadWrite]
            .into_iter()
            .find(|a| a.space() == space)?;
        Some(Binding::new(number.parse().ok()?, name, access, ty))
    }
}

/// The WGSL declarations of a binding table, a line each, in its order.
fn declare(table: &[Binding]) -> String {
    table.iter().map(|b| b.declaration() + "\n").collect()
}

/// The types of the buffers kernels bind: a network's values, in its
/// precision (`real` is f32 or f64: `shaders/common.wgsl`,
/// `shaders/common64.wgsl`)...
const REAL: &str = "array<real>";
/// ... and words.
const U32: &str = "array<u32>";

/// The type of values that spike deliveries add to atomically: f32 with
/// SHADER_FLOAT32_ATOMIC, otherwise their bits (see [`atomic_add`]).
fn atomic_f32(float_atomics: bool) -> &'static str {
    if float_atomics {
        "array<atomic<f32>>"
    } else {
        "array<atomic<u32>>"
    }
}

/// A kernel from its template: `decls` (the binding table's declarations,
/// and any other module-scope ones) replace the template's
/// `//{{BINDINGS}}` line, `body` its `//{{BODY}}` line.
fn assemble(name: String, template: &str, decls: &str, body: &str, dtype: Dtype) -> Kernel {
    let main = template
        .replace("//{{BINDINGS}}\n", decls)
        .replace("//{{BODY}}\n", body);
    Kernel {
        name,
        source: prelude(main, dtype),
        body: body.to_string(),
        dtype,
    }
}

/// A kernel's whole module: the functions and the clock in `dtype`, then
/// its own `main` (bindings and entry point).
fn prelude(main: String, dtype: Dtype) -> String {
    format!("{}\n{}\n{main}", common(dtype), clock_for(&main, dtype))
}

/// The capabilities generated kernels may use: f32 atomics where the
/// adapter has them; f64 and the 64-bit integers its functions take apart
/// (`shaders/math64.wgsl`) for an f64 network.
pub fn capabilities(float_atomics: bool, dtype: Dtype) -> naga::valid::Capabilities {
    use naga::valid::Capabilities as C;
    let mut c = C::empty();
    if float_atomics {
        c |= C::SHADER_FLOAT32_ATOMIC;
    }
    if dtype == Dtype::F64 {
        c |= C::FLOAT64 | C::SHADER_INT64;
    }
    c
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
        capabilities(float_atomics, k.dtype),
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
