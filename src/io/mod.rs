//! Files: the saved state of a simulation.

pub mod state;
