//! `synapse_update`: the learning rule of a rate-coded projection, run for
//! every synapse after the neurons updated (CPU twin of the GPU kernel of
//! the same name).
//!
//! Bindings, as the psp program's (`rate_sum.rs`): the synapse's
//! per-synapse slots, then one gathered array per `pre.x` and per `post.x`
//! (the values the neurons have just computed); scalars: t, dt, the
//! network's constants, then the projection-wide parameters.

use super::rate_sum::SynapseBinding;
use super::vm::{self, Binder, Program, Src};
use crate::lang::ir::{Stmt, SynapseIr};

/// The compiled learning rule of a synapse model.
#[derive(Debug, Clone)]
pub struct LearnKernel {
    /// Bindings.
    pub binding: SynapseBinding,
    /// The program.
    pub prog: Program,
    /// The program without its assignments to `w` (a spiking synapse's
    /// equations while learning is off).
    pub frozen: Program,
}

/// Compiles the learning rule (`ir.update`, not empty).
pub fn compile(ir: &SynapseIr, n_consts: usize) -> LearnKernel {
    let binding = SynapseBinding::new(ir, n_consts);
    let program = |skip: Option<u32>| {
        let mut prog = Program::new();
        for s in &ir.update {
            match s {
                Stmt::Let { temp, expr } => prog.let_temp(*temp, expr, &binding),
                Stmt::Store { var, .. } if Some(*var) == skip => {}
                Stmt::Store { var, expr, .. } => {
                    let arr = match binding.leaf(&crate::lang::ir::Expr::Var(*var)) {
                        Some(Src::Arr(a)) => a,
                        // Analysis declares every assigned synapse variable per synapse.
                        _ => unreachable!("store to a projection-wide slot"),
                    };
                    prog.store(arr, expr, None, &binding);
                }
            }
        }
        prog
    };
    LearnKernel {
        prog: program(None),
        frozen: program(ir.slot("w")),
        binding,
    }
}

/// Runs the rule over every synapse (`arrays` bound as documented above);
/// with `freeze_w`, all but its assignments to `w`.
pub fn synapse_update(
    k: &LearnKernel,
    freeze_w: bool,
    mut arrays: Vec<&mut [f32]>,
    scalars: &[f32],
    seed: u64,
    step: u32,
    object: u32,
) {
    vm::run_chunks(
        if freeze_w { &k.frozen } else { &k.prog },
        &mut arrays,
        scalars,
        seed,
        step,
        object,
        0,
        |_, _, _| {},
    );
}
