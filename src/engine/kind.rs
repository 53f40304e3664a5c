//! What a projection does: the one kind both engines and the schedule read.

use super::*;

/// How a projection acts on its post-synaptic population (both engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProjectionKind {
    /// Rate-coded: adds into `sum(target)` number `sum`.
    Rate { sum: usize },
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

/// What a projection does, or why neither engine can run it.
pub(crate) fn projection_kind(
    net: &Network,
    pr: &crate::network::Projection,
) -> Result<ProjectionKind> {
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
    let spiking_or_special =
        pre_ir.spiking || pr.conv.is_some() || pr.window.is_some() || pr.inject;
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
    if !pr.ir.update.is_empty() && spiking_or_special {
        return Err(Error::Unsupported {
            owner,
            message: "between spiking populations, synapse variables change at events (pre_spike, post_spike) and through ': event-driven' equations; equations run every step only for rate-coded projections in this version".into(),
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
        (false, false) => Ok(ProjectionKind::Rate { sum: sum_of()? }),
        // ANNarchy computes a spiking synapse's psp at every step into its
        // target (continuous transmission: gap junctions'
        // `w * (pre.v - post.v)`); cajal does not yet, and must not
        // deliver `w` at spikes in its place.
        (true, true) if !pr.model.psp.trim().is_empty() => Err(Error::Unsupported {
            owner,
            message: format!(
                "the synapse model '{}' has a psp ('{}'): between spiking populations a psp is continuous transmission, computed at every step (e.g. gap junctions), which this version does not run; spikes transmit through pre_spike (default: g_target += w)",
                pr.ir.name,
                pr.model.psp.trim()
            ),
        }),
        (true, true) => Ok(ProjectionKind::Spike { g: g_of()? }),
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
            Ok(ProjectionKind::Rate { sum })
        }
    }
}
