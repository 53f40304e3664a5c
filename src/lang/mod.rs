//! The equation language: parser, analysis and the IR both engines run.

pub mod analysis;
pub mod ast;
pub mod ir;
pub mod parser;

pub use analysis::{analyse_neuron, analyse_synapse};
