//! The step as data: the one statement of the order in which a step runs
//! its kernels, built once per compiled network and run by both engines
//! (each with its own executor: the CPU engine stays a fast engine).
//!
//! A [`Schedule`] is a list of [`Phase`]s in step order; a phase runs one
//! kernel ([`Stage`]) over groups of members (populations, projections or
//! monitors), and every group is one dispatch on the GPU engine: a group of
//! one runs the member's own kernel, a larger group a merged kernel (as
//! GeNN's `createMergedGroups`, where a lone group is a group of one). The
//! CPU engine groups only its spike deliveries (those feeding one
//! conductance run in creation order; distinct groups in parallel).
//!
//! `Simulation::schedule` returns it and `cajal run MODEL --schedule`
//! prints it, as Brian2's `scheduling_summary`.

use std::fmt::Write;

use crate::engine::ProjectionKind;
use crate::network::Network;

/// A kernel of the step, named as its WGSL template (`shaders/X.wgsl`),
/// its GPU generator and its CPU twin (`src/engine/cpu/X.rs`, or `X/`), where one
/// stage has several kernels, by what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// `clear_inputs`: zero the `sum(target)` arrays and the conductances
    /// no equation governs.
    ClearInputs,
    /// Inputs of rate-coded populations, reading what the previous step
    /// left: `rate_sum`, `convolve`, `decode`, `current_inject`.
    RateInputs,
    /// Spikes of earlier steps into conductances: `spike_propagate`,
    /// `spike_convolve`, `spike_procedural`.
    SpikeDelivery,
    /// `record_inputs`: monitors sample the conductances they record, as
    /// the inputs left them, before the update (ANNarchy's
    /// `record_targets`); their other variables wait for `record`.
    RecordInputs,
    /// `neuron_update`: integrate, spike, reset, refractoriness.
    NeuronUpdate,
    /// `synapse_update`: the equations of synapses, run every step (the
    /// learning rules of rate-coded projections; spiking synapses'
    /// equations), before the post-synaptic events as ANNarchy's
    /// `update_synapse` before `post_event`.
    SynapseUpdate,
    /// `post_spike`: the statements of plastic synapses at a post spike.
    PostSpike,
    /// `record`: monitors sample their variables.
    Record,
}

impl Stage {
    /// Every stage, in step order.
    pub const ALL: [Stage; 8] = [
        Stage::ClearInputs,
        Stage::RateInputs,
        Stage::SpikeDelivery,
        Stage::RecordInputs,
        Stage::NeuronUpdate,
        Stage::SynapseUpdate,
        Stage::PostSpike,
        Stage::Record,
    ];

    /// The kernel's name (a stage with several kernels: what they do).
    pub fn name(self) -> &'static str {
        match self {
            Stage::ClearInputs => "clear_inputs",
            Stage::RateInputs => "rate inputs",
            Stage::SpikeDelivery => "spike delivery",
            Stage::RecordInputs => "record_inputs",
            Stage::NeuronUpdate => "neuron_update",
            Stage::PostSpike => "post_spike",
            Stage::SynapseUpdate => "synapse_update",
            Stage::Record => "record",
        }
    }

    /// What its members are.
    pub fn target(self) -> Target {
        match self {
            Stage::ClearInputs | Stage::NeuronUpdate => Target::Populations,
            Stage::RecordInputs | Stage::Record => Target::Monitors,
            _ => Target::Projections,
        }
    }

    /// When its members run.
    pub fn when(self) -> When {
        match self {
            Stage::SpikeDelivery | Stage::PostSpike => When::EveryStepLearningSwitched,
            Stage::SynapseUpdate => When::WhileLearning,
            Stage::RecordInputs | Stage::Record => When::SampleSteps,
            _ => When::EveryStep,
        }
    }
}

/// What a stage's members are (indices into the network's lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Populations.
    Populations,
    /// Projections.
    Projections,
    /// Monitors.
    Monitors,
}

/// When a phase's members run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// At every step.
    EveryStep,
    /// At every step; a plastic member whose learning is off at a step
    /// skips its assignments to `w` (a flag the kernel tests, so a merged
    /// group still runs whole).
    EveryStepLearningSwitched,
    /// At the steps where the member's learning is on
    /// (`enable_learning(period, offset)`).
    WhileLearning,
    /// At the monitor's sample steps (spikes: every step).
    SampleSteps,
}

impl When {
    fn describe(self) -> &'static str {
        match self {
            When::EveryStep => "every step",
            When::EveryStepLearningSwitched => {
                "every step (without w updates while learning is off)"
            }
            When::WhileLearning => {
                "while learning (spiking synapses: every step, w while learning)"
            }
            When::SampleSteps => "at sample steps",
        }
    }
}

/// One dispatch of a phase: its members, in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The members (population, projection or monitor indices).
    pub members: Vec<usize>,
    /// The kernel that runs them, as the engine names it (a generated
    /// kernel's name on the GPU engine, the stage's on the CPU engine).
    pub kernel: String,
}

/// One kernel of the step over its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// The kernel.
    pub stage: Stage,
    /// Its dispatches, ordered by their first members.
    pub groups: Vec<Group>,
}

impl Phase {
    /// The group holding `member`, if any.
    pub fn group_of(&self, member: usize) -> Option<usize> {
        self.groups.iter().position(|g| g.members.contains(&member))
    }
}

/// The phases of a step in the order both engines run them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The phases, in step order; a stage without members has none.
    pub phases: Vec<Phase>,
    /// Names of the populations, projections and monitors, for printing.
    names: [Vec<String>; 3],
}

/// The members of each stage in creation order, from the network and its
/// projections' kinds (`kinds[q]`, as `projection_kind` decided them once
/// for the engine).
pub(crate) fn stage_members(net: &Network, kinds: &[ProjectionKind]) -> Vec<(Stage, Vec<usize>)> {
    let pops = 0..net.pops.len();
    let projs = 0..net.projs.len();
    Stage::ALL
        .iter()
        .map(|&stage| {
            let members: Vec<usize> = match stage {
                Stage::ClearInputs => pops
                    .clone()
                    .filter(|&p| crate::engine::gpu::codegen::needs_clear(&net.pops[p].ir))
                    .collect(),
                Stage::RateInputs => projs
                    .clone()
                    .filter(|&q| {
                        matches!(
                            kinds[q],
                            ProjectionKind::Rate { .. }
                                | ProjectionKind::Conv { .. }
                                | ProjectionKind::Decode { .. }
                                | ProjectionKind::Current { .. }
                        )
                    })
                    .collect(),
                Stage::SpikeDelivery => projs
                    .clone()
                    .filter(|&q| {
                        matches!(
                            kinds[q],
                            ProjectionKind::Spike { .. }
                                | ProjectionKind::ConvSpike { .. }
                                | ProjectionKind::Procedural { .. }
                        )
                    })
                    .collect(),
                Stage::NeuronUpdate => pops.clone().collect(),
                Stage::PostSpike => projs
                    .clone()
                    .filter(|&q| !net.projs[q].ir.post_spike.is_empty())
                    .collect(),
                Stage::SynapseUpdate => projs
                    .clone()
                    .filter(|&q| !net.projs[q].ir.update.is_empty())
                    .collect(),
                Stage::RecordInputs => (0..net.monitors.len())
                    .filter(|&m| records_inputs(net, m))
                    .collect(),
                Stage::Record => (0..net.monitors.len()).collect(),
            };
            (stage, members)
        })
        .collect()
}

/// Whether monitor `m` records a conductance, which `record_inputs`
/// samples.
fn records_inputs(net: &Network, m: usize) -> bool {
    let mon = &net.monitors[m];
    let p = &net.pops[mon.pop.0];
    mon.vars
        .iter()
        .any(|v| p.ir.slot(v).is_some_and(|s| p.ir.is_conductance(s)))
}

impl Schedule {
    /// The schedule of `net` (its projections of `kinds`): every stage's
    /// members, in step order, split
    /// into dispatches by `group` (given a stage and its members in
    /// creation order, the groups of two or more members it merges; each
    /// member left out becomes a group of one). Groups are ordered by
    /// their first members, so a merged group runs where its first member
    /// would have.
    pub(crate) fn build(
        net: &Network,
        kinds: &[ProjectionKind],
        mut group: impl FnMut(Stage, &[usize]) -> Vec<Group>,
    ) -> Schedule {
        let mut phases = Vec::new();
        for (stage, members) in stage_members(net, kinds) {
            if members.is_empty() {
                continue;
            }
            let mut groups = group(stage, &members);
            for &m in &members {
                if !groups.iter().any(|g| g.members.contains(&m)) {
                    groups.push(Group {
                        members: vec![m],
                        kernel: stage.name().to_string(),
                    });
                }
            }
            groups.sort_by_key(|g| g.members[0]);
            phases.push(Phase { stage, groups });
        }
        let names = [
            net.pops.iter().map(|p| p.name.clone()).collect(),
            net.projs.iter().map(|p| p.name.clone()).collect(),
            net.monitors
                .iter()
                .map(|m| format!("monitor of {}", net.pops[m.pop.0].name))
                .collect(),
        ];
        Schedule { phases, names }
    }

    /// The phase of `stage`, if it has members.
    pub fn phase(&self, stage: Stage) -> Option<&Phase> {
        self.phases.iter().find(|p| p.stage == stage)
    }

    /// Dispatches of a step without monitors, as every group runs whole:
    /// the GPU engine's count.
    pub fn dispatches_per_step(&self) -> usize {
        self.phases
            .iter()
            .filter(|p| p.stage.target() != Target::Monitors)
            .map(|p| p.groups.len())
            .sum()
    }

    /// The schedule as a table a person reads: one line per phase, then one
    /// per group with its kernel and members.
    ///
    /// ```
    /// let (net, _, _) = cajal::networks::coba(100, 1)?;
    /// let sim = net.compile(cajal::engine::Backend::Cpu)?;
    /// let text = sim.schedule().summary();
    /// assert!(text.contains("neuron_update"));
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.phases.iter().enumerate() {
            let _ = writeln!(
                s,
                "{}. {} ({}, {} group{})",
                i + 1,
                p.stage.name(),
                p.stage.when().describe(),
                p.groups.len(),
                if p.groups.len() == 1 { "" } else { "s" }
            );
            let names = &self.names[p.stage.target() as usize];
            for g in &p.groups {
                let members: Vec<&str> = g
                    .members
                    .iter()
                    .map(|&m| names.get(m).map_or("?", String::as_str))
                    .collect();
                let _ = writeln!(s, "   {}: {}", g.kernel, members.join(", "));
            }
        }
        s
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary())
    }
}
