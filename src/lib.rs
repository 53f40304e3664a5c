//! cajal: a neural network simulator for any GPU, with a CPU reference engine.
//!
//! Networks are described the way ANNarchy describes them: populations of
//! neurons and projections between them, with neuron and synapse models
//! written as equations. See the README for a first example.
#![warn(missing_docs)]

pub mod analysis;
pub mod bold;
pub mod connect;
pub mod convert;
pub mod engine;
pub mod error;
pub mod image;
pub mod io;
pub mod lang;
pub mod memory;
pub mod models;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod network;
pub mod networks;
pub mod plot;
pub mod random;
pub mod real;
pub mod tensorboard;

pub use engine::gpu::{devices, DeviceInfo, GpuOptions, SpikeStrategy};
pub use error::{Error, Result};

/// Everything a typical program needs. It holds no `Result`, which would
/// shadow the standard one: write `cajal::Result<T>`.
pub mod prelude {
    pub use crate::connect::{Delays, Weights};
    pub use crate::engine::gpu::GpuOptions;
    pub use crate::engine::{Backend, CallbackId, Simulation, Timings, Value};
    pub use crate::error::Error;
    pub use crate::network::conv::Padding;
    pub use crate::network::geometry::{Geometry, IntoGeometry};
    pub use crate::network::model::{Neuron, NeuronKind, Operation, Synapse};
    pub use crate::network::{MonitorId, Network, PopId, ProjId, Targets};
    pub use crate::random::Dist;
}

/// The README's examples run as doctests, so the newcomer's guide stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
