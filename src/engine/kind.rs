//! What a projection does: the one kind both engines and the schedule read.

use super::*;
use crate::lang::ir::EventStmt;

/// How a projection acts on its post-synaptic population (both engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProjectionKind {
    /// A psp summed at every step: a rate-coded projection into a
    /// `sum(target)`, or continuous transmission between spiking
    /// populations (a synapse with a psp: gap junctions) into a conductance.
    Rate { into: Input },
    /// Spiking: increments the conductance slot `g`.
    Spike { g: usize },
    /// DecodingProjection: spike counts over `window` steps into
    /// `sum(target)` number `sum`.
    Decode { sum: usize, window: u32 },
    /// CurrentInjection: sets conductance slot `g` of post to slot `r` of pre.
    Current { g: usize, r: usize },
    /// Convolution or pooling into `sum(target)` number `sum`.
    Conv { sum: usize },
    /// Convolution between spiking populations into conductance slot `g`.
    ConvSpike { g: usize },
    /// Procedural fixed-probability connectivity into conductance slot `g`.
    Procedural { g: usize },
}

/// Where a projection's per-step psp sums go in its post-synaptic
/// population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Input {
    /// `sum(target)` number k.
    Sum(usize),
    /// The conductance slot k (`g_target`).
    Conductance(usize),
}

/// The conductance slots of a spiking projection's targets after the
/// first (ANNarchy's `['ampa', 'nmda']`), which its events increment too.
pub(crate) fn more_conductances(net: &Network, pr: &crate::network::Projection) -> Vec<usize> {
    let post_ir = &net.pops[pr.post.0].ir;
    pr.more_targets
        .iter()
        .filter_map(|t| post_ir.conductances.iter().find(|c| c.0 == *t))
        .map(|c| c.1 as usize)
        .collect()
}

/// What a projection does, or why neither engine can run it.
pub(crate) fn projection_kind(
    net: &Network,
    pr: &crate::network::Projection,
) -> Result<ProjectionKind> {
    let kind = single_kind(net, pr)?;
    if !pr.more_targets.is_empty() && !matches!(kind, ProjectionKind::Spike { .. }) {
        return Err(Error::Unsupported {
            owner: format!("projection '{}'", pr.name),
            message: "several targets are for spiking projections with spike events (a psp between spiking populations transmits into one conductance): make one projection a target".into(),
        });
    }
    Ok(kind)
}

/// What a spiking synapse with a psp (continuous transmission) may have
/// beside it: pre_spike statements that change its own variables (PyNN's
/// NMDA synapse: `x += w`, `psp = g`), run when a spike arrives and before
/// the psp is summed, as ANNarchy's compute_psp runs the events then the
/// psp. The engines run them in the psp's kernel, synapse by synapse,
/// which is the same as long as the events neither add to `g_target`,
/// nor change `w` (which learning switches), nor wait for a delay; those,
/// `post_spike` and event-driven variables are refused.
fn psp_beside_events(pr: &crate::network::Projection, owner: &str) -> Result<()> {
    let refuse = |what: &str| {
        Err(Error::Unsupported {
            owner: owner.to_string(),
            message: format!(
                "the synapse model '{}' has a psp (continuous transmission, computed at every step) and {what}: not supported in this version",
                pr.ir.name
            ),
        })
    };
    if !pr.ir.post_spike.is_empty() || pr.ir.event_driven {
        return refuse("post_spike or event-driven variables");
    }
    let w = pr.ir.slot("w");
    for s in &pr.ir.pre_spike {
        match s {
            EventStmt::AddConductance(_) => {
                return refuse(
                    "a pre_spike that changes g_target (the psp is what reaches the conductance)",
                )
            }
            EventStmt::Store { var, .. } if Some(*var) == w => {
                return refuse("a pre_spike that changes w")
            }
            EventStmt::Store { .. } => {}
        }
    }
    if !pr.ir.pre_spike.is_empty() && pr.synapses.delay.iter().any(|&d| d > 1) {
        return refuse("pre_spike statements with a delay longer than one step");
    }
    Ok(())
}

/// Whether a projection summing a psp runs pre_spike statements too (a
/// spiking synapse with a psp: PyNN's NMDA synapse), which read the
/// pre-synaptic spikes of the previous step.
pub(crate) fn psp_events(net: &Network, pr: &crate::network::Projection) -> bool {
    net.pops[pr.pre.0].ir.spiking && pr.ir.psp_given && !pr.ir.pre_spike.is_empty()
}

/// [`projection_kind`] of the first target.
fn single_kind(net: &Network, pr: &crate::network::Projection) -> Result<ProjectionKind> {
    let owner = format!("projection '{}'", pr.name);
    let pre_ir = &net.pops[pr.pre.0].ir;
    let post_ir = &net.pops[pr.post.0].ir;
    let (pre_used, post_used) = pr.ir.refs_used(pre_ir.spiking);
    for (side, names, ir) in [("pre", pre_used, pre_ir), ("post", post_used, post_ir)] {
        for name in names {
            if let Some(slot) = ir.slot(name) {
                if ir.vars[slot as usize].locality == Locality::Global {
                    return Err(Error::Unsupported {
                        owner,
                        message: format!(
                            "{side}.{name} is shared by the population ('{name}' is a population-wide parameter); \
                             synapses read per-neuron values: make it a per-neuron parameter"
                        ),
                    });
                }
            }
        }
    }
    if !pre_ir.spiking && (pr.ir.event_driven || !pr.ir.post_spike.is_empty()) {
        return Err(Error::invalid(
            owner,
            "event-driven variables and post_spike belong to synapses between spiking populations",
        ));
    }
    if !pr.ir.post_spike.is_empty() && !post_ir.spiking {
        return Err(Error::invalid(
            owner,
            "post_spike needs a spiking post-synaptic population",
        ));
    }
    // Equations run every step for every synapse of a rate-coded or a
    // spiking projection stored synapse by synapse; the others have no
    // synapses of their own to update.
    let special = pr.conv.is_some() || pr.window.is_some() || pr.inject || pr.procedural.is_some();
    let structural = pr.ir.pruning.is_some() || pr.ir.creating.is_some();
    if (!pr.ir.update.is_empty() || structural) && special {
        let what = if pr.conv.is_some() {
            "a convolution or pooling shares its kernel"
        } else if pr.window.is_some() {
            "a DecodingProjection counts spikes"
        } else if pr.inject {
            "a CurrentInjection copies a rate"
        } else {
            "a procedural projection draws its synapses anew at each spike"
        };
        let cannot = if structural {
            "cannot create or prune synapses"
        } else {
            "cannot have equations run at every step"
        };
        return Err(Error::Unsupported {
            owner,
            message: format!("{what}: its synapse model '{}' {cannot}", pr.ir.name),
        });
    }

    let sum_of = || {
        post_ir
            .targets
            .iter()
            .position(|t| *t == pr.target)
            .ok_or_else(|| Error::invalid(&owner, "target not read by the post-synaptic model"))
    };
    let g_of = || {
        post_ir
            .conductances
            .iter()
            .find(|c| c.0 == pr.target)
            .map(|c| c.1 as usize)
            .ok_or_else(|| {
                Error::invalid(&owner, "conductance not used by the post-synaptic model")
            })
    };
    if pr.procedural.is_some() {
        return Ok(ProjectionKind::Procedural { g: g_of()? });
    }
    if pr.conv.is_some() {
        return Ok(if pre_ir.spiking {
            ProjectionKind::ConvSpike { g: g_of()? }
        } else {
            ProjectionKind::Conv { sum: sum_of()? }
        });
    }
    if pr.inject {
        let r = pre_ir
            .slot("r")
            .ok_or_else(|| Error::invalid(&owner, "the pre-synaptic model has no r"))?;
        return Ok(ProjectionKind::Current {
            g: g_of()?,
            r: r as usize,
        });
    }
    if let Some(window) = pr.window {
        return Ok(ProjectionKind::Decode {
            sum: sum_of()?,
            window,
        });
    }
    match (pre_ir.spiking, post_ir.spiking) {
        (false, false) => Ok(ProjectionKind::Rate {
            into: Input::Sum(sum_of()?),
        }),
        // A psp between spiking populations is continuous transmission, as
        // ANNarchy's: summed into the conductance at every step, no spike
        // events (gap junctions' `w * (pre.v - post.v)`).
        (true, true) if pr.ir.psp_given => {
            psp_beside_events(pr, &owner)?;
            Ok(ProjectionKind::Rate {
                into: Input::Conductance(g_of()?),
            })
        }
        (true, true) => Ok(ProjectionKind::Spike { g: g_of()? }),
        // A psp written on a synapse between a spiking and a rate-coded
        // population reads the pre-synaptic variables at every step, as
        // between spiking ones (a BOLD monitor's accumulation of `r`).
        (true, false) if pr.ir.psp_given => Ok(ProjectionKind::Rate {
            into: Input::Sum(sum_of()?),
        }),
        (true, false) => Err(Error::Unsupported {
            owner,
            message: "spikes reach a rate-coded population through a DecodingProjection (Network::decoding_projection)".into(),
        }),
        // Hybrid: a rate-coded projection feeds sum(target) of a spiking
        // neuron (e.g. a PoissonPopulation driven by a target).
        (false, true) => {
            let sum = post_ir
                .targets
                .iter()
                .position(|t| *t == pr.target)
                .ok_or_else(|| {
                    Error::invalid(
                        &owner,
                        format!(
                            "a rate-coded population projects onto a spiking one: the post-synaptic model must read sum({}) (as a PoissonPopulation driven by a target does); to drive a conductance with a rate use a CurrentInjection",
                            pr.target
                        ),
                    )
                })?;
            Ok(ProjectionKind::Rate {
                into: Input::Sum(sum),
            })
        }
    }
}
