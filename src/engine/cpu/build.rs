//! Building the CPU engine's state from a network.

use super::jit::{Bound, RowPtr};
use super::jit_events::{Four, NativeEvents};
use super::*;
use crate::error::Error;

impl<R: VmReal> CpuEngine<R> {
    /// Builds the engine state from a network.
    pub fn new(net: &Network) -> Result<Self> {
        let kinds = net
            .projs
            .iter()
            .map(|pr| crate::engine::projection_kind(net, pr))
            .collect::<Result<Vec<_>>>()?;
        check_bindings(net)?;
        if net.precision() != R::DTYPE {
            return Err(Error::invalid(
                "network",
                format!(
                    "the network computes in {} but the engine was built for {}",
                    net.precision(),
                    R::DTYPE
                ),
            ));
        }
        let nc = net.globals.constants().len();
        let mut pops: Vec<PopState<R>> =
            net.pops.iter().map(|p| pop_state(p, nc, net.dt)).collect();
        let mut projs = Vec::with_capacity(net.projs.len());
        for (qi, (pr, &kind)) in net.projs.iter().zip(&kinds).enumerate() {
            projs.push(proj_state(net, qi, pr, kind, &mut pops));
        }
        let mut e = CpuEngine {
            seed: net.seed,
            dt: R::of(net.dt),
            pops,
            projs,
            consts: net
                .globals
                .constant_values()
                .into_iter()
                .map(R::of)
                .collect(),
            schedule: Arc::default(),
            scratch: Scratch::default(),
            dist: None,
            flush_subnormals: net.flush_subnormals,
            flush: None,
        };
        e.schedule = Arc::new(Schedule::build(net, &kinds, |stage, members| {
            e.groups(stage, members)
        }));
        e.reset_history();
        e.check_programs(net)?;
        Ok(e)
    }

    /// Refuses programs whose registers or scalar slots exceed the VM's
    /// 16-bit indices (a 10,000-equation midpoint block can): their
    /// indices would have wrapped while compiling, silently reading other
    /// values.
    fn check_programs(&self, net: &Network) -> Result<()> {
        for (p, ps) in net.pops.iter().zip(&self.pops) {
            let owner = || format!("population '{}' (model '{}')", p.name, p.ir.name);
            vm_fits(owner, "registers", ps.kernel.prog.n_regs)?;
            vm_fits(owner, "scalar values", ps.kernel.prog.n_scalars)?;
        }
        for (pr, ps) in net.projs.iter().zip(&self.projs) {
            let owner = || format!("projection '{}' (synapse '{}')", pr.name, pr.ir.name);
            let psp = match &ps.kind {
                ProjKind::Rate { psp, .. } | ProjKind::Conv { psp, .. } => psp.as_ref(),
                _ => None,
            };
            let learn = ps.learn.iter().flat_map(|l| [&l.prog, &l.frozen]);
            for prog in psp.map(|k| &k.prog).into_iter().chain(learn) {
                vm_fits(owner, "registers", prog.n_regs)?;
                vm_fits(owner, "scalar values", prog.n_scalars)?;
            }
        }
        Ok(())
    }
}

/// What the CPU engine's programs can index: arrays, scalars and
/// registers are numbered with 16 bits.
const VM_LIMIT: usize = 1 << 16;

/// An error naming `owner` when a program would need more than
/// [`VM_LIMIT`] of `what`.
fn vm_fits(owner: impl FnOnce() -> String, what: &str, n: usize) -> Result<()> {
    if n <= VM_LIMIT {
        return Ok(());
    }
    Err(Error::Unsupported {
        owner: owner(),
        message: format!(
            "its model needs {n} {what} in the CPU engine's programs, more than their {VM_LIMIT}: \
             split the model over several populations or projections"
        ),
    })
}

/// Refuses, before anything is compiled, a model with more per-neuron
/// (per-synapse) values or scalars than the VM's 16-bit indices address.
fn check_bindings(net: &Network) -> Result<()> {
    let nc = net.globals.constants().len();
    for p in &net.pops {
        let owner = || format!("population '{}' (model '{}')", p.name, p.ir.name);
        let local =
            p.ir.vars
                .iter()
                .filter(|v| v.locality == Locality::Local)
                .count();
        vm_fits(owner, "per-neuron values", local + p.ir.targets.len())?;
        vm_fits(owner, "scalar values", 2 + nc + p.ir.vars.len() - local)?;
    }
    for pr in &net.projs {
        let owner = || format!("projection '{}' (synapse '{}')", pr.name, pr.ir.name);
        let local = pr
            .ir
            .vars
            .iter()
            .filter(|v| v.locality == Locality::Local)
            .count();
        vm_fits(
            owner,
            "per-synapse values",
            local + pr.ir.pre_refs.len() + pr.ir.post_refs.len(),
        )?;
        vm_fits(owner, "scalar values", 2 + nc + pr.ir.vars.len() - local)?;
    }
    Ok(())
}

/// A population's state at compile time.
fn pop_state<R: VmReal>(p: &crate::network::Population, n_consts: usize, dt: f64) -> PopState<R> {
    let fr = p.firing_rate(dt);
    PopState {
        ir: p.ir.clone(),
        n: p.size(),
        vars: p.init.iter().map(|v| lane_room(v.to())).collect(),
        sums: (0..p.ir.targets.len())
            .map(|_| lane_room(vec![R::ZERO; p.size()]))
            .collect(),
        kernel: neuron_update::compile_for(&p.ir, n_consts, R::DTYPE, p.size()),
        spike_hist: VecDeque::new(),
        // The firing rate drops the spikes that leave its window from the
        // history: it keeps the whole window.
        hist_depth: fr.map_or(0, |f| f.steps as usize),
        rate_hist: Vec::new(),
        zero_each_step: p
            .ir
            .conductances
            .iter()
            .filter(|c| !c.2)
            .map(|c| c.1 as usize)
            .collect(),
        feed: p.feed.clone(),
        fr: fr.map(|f| (f, vec![0; p.size()])),
    }
}

/// The CPU's state of a projection of kind `pk`: what its kernel needs
/// beyond the kind (compiled psp, convolution window, procedural ring).
fn proj_kind<R: VmReal>(
    net: &Network,
    pr: &crate::network::Projection,
    pk: ProjectionKind,
) -> ProjKind<R> {
    match pk {
        ProjectionKind::Rate { into } => {
            let fast = pr.ir.psp_is_weighted_rate && pr.operation == Operation::Sum;
            ProjKind::Rate {
                into,
                psp: (!fast).then(|| {
                    rate_sum::compile_psp(&pr.ir, net.globals.constants().len(), R::DTYPE)
                }),
            }
        }
        ProjectionKind::Spike { g } => {
            let more = crate::engine::more_conductances(net, pr);
            let scratch = if more.is_empty() {
                Vec::new()
            } else {
                vec![R::ZERO; net.pops[pr.post.0].size()]
            };
            ProjKind::Spike { g, more, scratch }
        }
        ProjectionKind::Current { g, r } => ProjKind::Current { g, r },
        ProjectionKind::Procedural { g } => {
            let gen = pr
                .procedural
                .clone()
                .expect("a procedural projection has its generator");
            let ring = if gen.per_synapse_delays() {
                vec![R::ZERO; gen.delay as usize * net.pops[pr.post.0].size()]
            } else {
                Vec::new()
            };
            ProjKind::Procedural {
                g,
                gen,
                ring,
                pos: 0,
            }
        }
        ProjectionKind::ConvSpike { g } => ProjKind::ConvSpike {
            g,
            conv: pr.conv.clone().expect("a convolution has its window"),
        },
        ProjectionKind::Conv { sum } => {
            let conv = pr.conv.clone().expect("a convolution has its window");
            let fast = pr.ir.psp_is_weighted_rate;
            ProjKind::Conv {
                sum,
                psp: (!fast).then(|| {
                    rate_sum::compile_psp(&pr.ir, net.globals.constants().len(), R::DTYPE)
                }),
                geo: convolve::geometry(&conv.conv),
                conv,
            }
        }
        ProjectionKind::Decode { sum, window } => ProjKind::Decode {
            sum,
            scale: decode::scale(net.dt, window),
        },
    }
}

/// The distinct delays of a projection, in steps, ascending.
fn distinct_delays(pr: &crate::network::Projection) -> Vec<u32> {
    match (&pr.conv, &pr.procedural) {
        (Some(c), _) => vec![c.delay],
        (_, Some(gen)) => vec![gen.spike_delay()],
        // The distinct delays, without copying or sorting them all.
        _ => {
            let mut seen = Vec::<bool>::new();
            for &d in &pr.synapses.delay {
                if d as usize >= seen.len() {
                    seen.resize(d as usize + 1, false);
                }
                seen[d as usize] = true;
            }
            (0..seen.len() as u32)
                .filter(|&d| seen[d as usize])
                .collect()
        }
    }
}

/// Makes the pre-synaptic population keep what a projection of `kind`
/// reads of past steps: spikes up to `max_d` steps back, or the values of
/// the slots it reads with a delay.
fn keep_history<R: Clone>(
    ps: &mut PopState<R>,
    kind: &ProjKind<R>,
    pre_ref_slots: &[usize],
    max_d: usize,
) {
    match kind {
        ProjKind::Spike { .. } | ProjKind::ConvSpike { .. } | ProjKind::Procedural { .. } => {
            ps.hist_depth = ps.hist_depth.max(max_d)
        }
        ProjKind::Rate { .. } | ProjKind::Conv { .. } if max_d > 1 => {
            for &slot in pre_ref_slots {
                match ps.rate_hist.iter_mut().find(|(s, _)| *s == slot) {
                    Some((_, h)) => h.resize(h.len().max(max_d - 1), Vec::new()),
                    None => ps
                        .rate_hist
                        .push((slot, VecDeque::from(vec![Vec::new(); max_d - 1]))),
                }
            }
        }
        ProjKind::Rate { .. } | ProjKind::Conv { .. } => {}
        // Reads the spikes of the previous step.
        ProjKind::Decode { .. } => ps.hist_depth = ps.hist_depth.max(1),
        ProjKind::Current { .. } => {}
    }
}

/// A projection's state at compile time (projection `qi`, of kind `pk`);
/// marks the histories it reads in `pops`.
fn proj_state<R: VmReal>(
    net: &Network,
    qi: usize,
    pr: &crate::network::Projection,
    pk: ProjectionKind,
    pops: &mut [PopState<R>],
) -> ProjState<R> {
    let (pre, post) = (pr.pre.0, pr.post.0);
    let (pre_ir, post_ir) = (&net.pops[pre].ir, &net.pops[post].ir);
    let window_steps = match pk {
        ProjectionKind::Decode { window, .. } => window as usize,
        _ => 0,
    };
    let mut kind = proj_kind(net, pr, pk);
    let s = &pr.synapses;
    let n_post = net.pops[post].size();
    let row_ptr = RowPtr::new(s.post_row_ptr(n_post / net.batch));
    let delays = distinct_delays(pr);
    let max_d = delays.last().copied().unwrap_or(1) as usize;
    // Names the projection does not use may be missing from a model
    // (the builder checked the ones it uses: the default psp's `pre.r` of
    // a spiking synapse is one); they bind to a per-neuron slot, which the
    // kernels may gather neuron by neuron without reading past a
    // population-wide one.
    let slots = |refs: &[String], ir: &NeuronIr| -> Vec<usize> {
        let local = ir
            .vars
            .iter()
            .position(|v| v.locality == Locality::Local)
            .unwrap_or(0);
        refs.iter()
            .map(|r| ir.slot(r).map_or(local, |s| s as usize))
            .collect()
    };
    let pre_ref_slots = slots(&pr.ir.pre_refs, pre_ir);
    let post_ref_slots = slots(&pr.ir.post_refs, post_ir);
    // post_spike reads the spikes of the step that just ran.
    if !pr.ir.post_spike.is_empty() {
        pops[post].hist_depth = pops[post].hist_depth.max(1);
    }
    keep_history(&mut pops[pre], &kind, &pre_ref_slots, max_d);
    // A psp's pre_spike statements test the spikes of the previous step.
    if matches!(kind, ProjKind::Rate { .. }) && crate::engine::kind::psp_events(net, pr) {
        pops[pre].hist_depth = pops[pre].hist_depth.max(1);
    }
    let csr = if matches!(kind, ProjKind::Spike { .. } | ProjKind::Decode { .. }) {
        PreCsr::new(net.pops[pre].size() / net.batch, &s.pre, &s.post, &s.delay)
    } else {
        PreCsr::default()
    };
    let inv_n = if window_steps > 0 {
        decode::inverse_counts(&row_ptr)
    } else {
        Vec::new()
    };
    // Per-synapse psp values only for the general rate path.
    let general_psp = matches!(kind, ProjKind::Rate { psp: Some(_), .. });
    // Native code for the event statements that run at all.
    let local: Vec<bool> = pr
        .ir
        .vars
        .iter()
        .map(|v| v.locality == Locality::Local)
        .collect();
    let pre_events = (!pr.ir.pre_spike_is_default && !pr.ir.pre_spike.is_empty())
        .then(|| NativeEvents::compile(&pr.ir.pre_spike, &local, Four::Events, R::DTYPE))
        .flatten();
    let post_events = (!pr.ir.post_spike.is_empty())
        .then(|| NativeEvents::compile(&pr.ir.post_spike, &local, Four::Rows, R::DTYPE))
        .flatten();
    let n_pre = net.pops[pre].size() / net.batch;
    let dense = row_ptr.windows(2).all(|r| (r[1] - r[0]) as usize == n_pre);
    // Only the kernels that read rows without their indices (a rate-coded
    // projection's sums, a learning rule) check what rows hold: others (a
    // spiking recurrent all-to-all) skip the check.
    let reads_rows = matches!(kind, ProjKind::Rate { .. }) || !pr.ir.update.is_empty();
    let rows_are = match reads_rows {
        true => rate_sum::Rows::of(dense, &row_ptr, &s.pre, n_pre, pre == post),
        false => rate_sum::Rows::Indexed,
    };
    let pre_bound = match rows_are {
        rate_sum::Rows::Dense => Bound::Column,
        rate_sum::Rows::AllButSelf => Bound::ColumnButSelf,
        rate_sum::Rows::Runs(_) => Bound::Consecutive,
        rate_sum::Rows::Indexed | rate_sum::Rows::Below(_) => Bound::AtPre,
    };
    // Row code holds only the ways of finishing a row these rows take.
    let kinds = row_ptr.kinds_of(R::DTYPE);
    if let ProjKind::Rate { psp: Some(k), .. } = &mut kind {
        let one_delay = super::step::one_delay(&delays).is_some();
        k.compile_rows(
            &pr.ir,
            if one_delay { pre_bound } else { Bound::Each },
            kinds,
            rate_sum::fold_of(pr.operation, &row_ptr),
        );
    }
    let learn = (!pr.ir.update.is_empty()).then(|| {
        let rows = row_ptr.windows(2).filter(|w| w[1] > w[0]).count();
        let by_row = s.post.len() >= synapse_update::ROW_MIN * rows.max(1);
        let consts = net.globals.constants().len();
        synapse_update::compile(&pr.ir, consts, R::DTYPE, by_row, pre_bound, kinds)
    });
    // Row code reads at these: their highest is found once, where it
    // does.
    let ranks = match pre_bound.by_rank() && (learn.is_some() || general_psp) {
        true => super::jit::Ranks::new(pr.synapses.clone()),
        false => super::jit::Ranks::none(),
    };
    ProjState {
        index: qi,
        batch: net.batch,
        dense,
        rows_are,
        pre_events,
        post_events,
        pre,
        post,
        kind,
        ir: pr.ir.clone(),
        op: pr.operation,
        row_ptr,
        syn: pr.synapses.clone(),
        ranks,
        delays,
        values: pr.values.iter().map(Reals::to).collect(),
        w_pre: Vec::new(),
        csr,
        pre_ref_slots,
        post_ref_slots,
        out: vec![R::ZERO; n_post],
        psp: if general_psp {
            vec![R::ZERO; s.post.len()]
        } else {
            Vec::new()
        },
        window: VecDeque::from(vec![vec![R::ZERO; n_post]; window_steps]),
        inv_n,
        learn,
        learning: crate::engine::Learning::default(),
        gathered: Vec::new(),
        row_scratch: Vec::new(),
        event_lists: (Vec::new(), Vec::new()),
    }
}
