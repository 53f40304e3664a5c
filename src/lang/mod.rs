//! The equation language: parser, analysis and the IR both engines run.

pub mod analysis;
pub mod ast;
pub mod ir;
/// f64 elementary functions both engines compute bit for bit (WGSL twins
/// in shaders/math64.wgsl).
pub mod math64;
pub mod parser;

pub use analysis::{analyse_neuron, analyse_synapse};
