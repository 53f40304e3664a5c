//! `synapse_update`: the learning rule of a rate-coded projection, run for
//! every synapse after the neurons updated (CPU twin of the GPU kernel of
//! the same name).
//!
//! Bindings, as the psp program's (`rate_sum.rs`): the synapse's
//! per-synapse slots, then one gathered array per `pre.x` and per `post.x`
//! (the values the neurons have just computed); scalars: t, dt, the
//! network's constants, then the projection-wide parameters.

use super::jit::Native;
use super::rate_sum::SynapseBinding;
use super::vm::{self, Binder, Program, Src, VmReal};
use crate::lang::ir::{Stmt, SynapseIr};
use crate::real::Dtype;

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
    /// The two programs as native code, where it can be made.
    pub native: Option<(Native, Native)>,
    /// Per bound array: whether either program reads it (the gathered
    /// `pre.x` and `post.x` that only events read need no gathering).
    pub reads: Vec<bool>,
}

/// Compiles the learning rule (`ir.update`, not empty).
pub fn compile(ir: &SynapseIr, n_consts: usize, dtype: Dtype) -> LearnKernel {
    let binding = SynapseBinding::new(ir, n_consts);
    let program = |skip: Option<u32>| {
        let mut prog = Program::in_dtype(dtype);
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
    let (prog, frozen) = (program(None), program(ir.slot("w")));
    let native = Native::compile(&prog, binding.n_arrays, None).zip(Native::compile(
        &frozen,
        binding.n_arrays,
        None,
    ));
    let n = binding.n_arrays;
    let reads = vm::arrays_read(&prog, n)
        .into_iter()
        .zip(vm::arrays_read(&frozen, n))
        .map(|(a, b)| a || b)
        .collect();
    LearnKernel {
        prog,
        frozen,
        native,
        reads,
        binding,
    }
}

/// Runs the rule over every synapse (`arrays` bound as documented above);
/// with `freeze_w`, all but its assignments to `w`.
pub fn synapse_update<R: VmReal>(
    k: &LearnKernel,
    freeze_w: bool,
    arrays: &mut [&mut [R]],
    scalars: &[R],
    seed: u64,
    step: u32,
    object: u32,
) {
    let prog = if freeze_w { &k.frozen } else { &k.prog };
    if let Some((all, without_w)) = k.native.as_ref().filter(|(n, _)| n.runs::<R>()) {
        let native = if freeze_w { without_w } else { all };
        native.run_padded(arrays, scalars, (seed, step, object, 0), &mut Vec::new());
        return;
    }
    vm::run_chunks(prog, arrays, scalars, seed, step, object, 0, |_, _, _| {});
}

#[cfg(test)]
mod tests {
    use crate::connect::Weights;
    use crate::engine::cpu::hostile;
    use crate::engine::cpu::vm::VmReal;
    use crate::network::model::{Neuron, Synapse};
    use crate::network::Network;

    /// A learning rule over hostile values, natively and interpreted, with
    /// `w` learning and frozen, over a synapse count that leaves a partial
    /// last vector: every value must agree bit for bit, in both precisions.
    #[test]
    fn native_learning_rule_matches_the_interpreter_bit_for_bit() {
        agree::<f32>();
        agree::<f64>();
    }

    fn agree<R: VmReal>() {
        let syn = Synapse::new()
            .parameters("eta = 0.01 : projection\ntau = 20.0 : projection")
            .equations(
                "tau * dc/dt = pre.r * post.r - c : exponential
                 dw/dt = eta * (c - w * post.r^2) + Uniform(0.0, 1e-3) : min = 0.0, max = 1.0",
            );
        let neuron = Neuron::rate().equations("r = sum(exc)");
        let mut net = Network::new();
        let (n_pre, n_post) = (5, 7);
        let p = net.population("p", n_pre, &neuron).unwrap();
        let q = net.population("q", n_post, &neuron).unwrap();
        net.projection(p, q, "exc")
            .synapse(&syn)
            .connect_all_to_all(Weights::constant(0.25))
            .unwrap();
        let ir = net.projs[0].ir.clone();
        let k = super::compile(&ir, 0, R::DTYPE);
        assert!(k.native.is_some(), "native code for the rule");
        let mut interpreted = k.clone();
        interpreted.native = None;
        let n_syn = n_pre * n_post;
        assert_ne!(n_syn % k.native.as_ref().map_or(1, |n| n.0.lanes()), 0);
        let values = hostile::<R>();
        let arrays = |k: usize| -> Vec<Vec<R>> {
            (0..k)
                .map(|a| {
                    (0..n_syn)
                        .map(|s| values[(s * (a + 2) + a) % values.len()])
                        .collect()
                })
                .collect()
        };
        let n_arrays = k.binding.n_arrays;
        for freeze_w in [false, true] {
            let (mut a, mut b) = (arrays(n_arrays), arrays(n_arrays));
            for step in 0..3u32 {
                let scalars = [f64::from(step), 0.5, 0.01, 20.0].map(R::of);
                let mut va: Vec<_> = a.iter_mut().map(|x| x.as_mut_slice()).collect();
                super::synapse_update(&k, freeze_w, &mut va, &scalars, 9, step, 4);
                let mut vb: Vec<_> = b.iter_mut().map(|x| x.as_mut_slice()).collect();
                super::synapse_update(&interpreted, freeze_w, &mut vb, &scalars, 9, step, 4);
                for (v, (x, y)) in a.iter().zip(&b).enumerate() {
                    for (s, (x, y)) in x.iter().zip(y).enumerate() {
                        assert_eq!(
                            x.bits(),
                            y.bits(),
                            "{:?}: array {v}, synapse {s}, step {step}, frozen {freeze_w}: {x:?} native, {y:?} interpreted",
                            R::DTYPE
                        );
                    }
                }
            }
        }
    }
}
