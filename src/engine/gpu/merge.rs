//! Merged groups: which members of a stage share one dispatch, and
//! their merged kernels.

use super::*;
use crate::engine::Input;

/// Groups the populations that clear inputs, `budget` a dispatch (one
/// buffer each); groups of one are left alone.
pub(super) fn merge_clears(
    net: &Network,
    layouts: &[PopLayout],
    pops: &[PopPlan],
    budget: usize,
) -> Vec<MergedUpdate> {
    let with: Vec<usize> = (0..pops.len())
        .filter(|&p| pops[p].clear.is_some())
        .collect();
    with.chunks(budget.max(1))
        .filter(|g| g.len() >= 2)
        .map(|g| {
            let parts: Vec<(&str, &Kernel, &PopLayout)> = g
                .iter()
                .map(|&p| {
                    (
                        net.pops[p].name.as_str(),
                        pops[p].clear.as_ref().expect("filtered on clear"),
                        &layouts[p],
                    )
                })
                .collect();
            let (kernel, binds) = codegen::clear_inputs_merged(&parts);
            MergedUpdate {
                members: g.to_vec(),
                binds,
                kernel,
            }
        })
        .collect()
}

/// Groups the populations, in creation order, into `neuron_update`
/// dispatches binding at most `budget` storage buffers each; groups of one
/// are left alone.
pub(super) fn merge_updates(
    net: &Network,
    layouts: &[PopLayout],
    pops: &[PopPlan],
    budget: usize,
) -> Vec<MergedUpdate> {
    let cost = |p: usize| codegen::pop_buffers(&layouts[p], net.pops[p].feed.is_some()).len();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut used = 0;
    for p in 0..net.pops.len() {
        let c = cost(p);
        if used + c > budget
            || cur.iter().map(|&q| layouts[q].n as u64).sum::<u64>() + u64::from(layouts[p].n)
                > u64::from(u32::MAX)
        {
            groups.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push(p);
        used += c;
    }
    groups.push(cur);
    groups
        .into_iter()
        .filter(|g| g.len() >= 2)
        .map(|members| {
            let parts: Vec<(&str, &Kernel, &PopLayout, bool)> = members
                .iter()
                .map(|&p| {
                    (
                        net.pops[p].name.as_str(),
                        &pops[p].update,
                        &layouts[p],
                        net.pops[p].feed.is_some(),
                    )
                })
                .collect();
            let (kernel, binds) = codegen::neuron_update_merged(&parts);
            MergedUpdate {
                members,
                binds,
                kernel,
            }
        })
        .collect()
}

/// Groups the default-synapse spiking projections (stored or procedural),
/// whatever their populations, in creation order, each group binding at
/// most `budget` storage buffers (a state per distinct post, 2 per member
/// or 1 per procedural one, 2 per distinct pre); groups of one are left
/// alone.
pub(super) fn merge_spikes(
    net: &Network,
    kinds: &[ProjectionKind],
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
    float_atomics: bool,
    deterministic: bool,
) -> Vec<MergedPlan> {
    if deterministic {
        return merge_gathers(net, kinds, projs, layouts, budget);
    }
    // Storage buffers bound: a state per post, per member its CSR (or
    // table) and what `MemberBinds::bindings` says, a spike ring (counts,
    // lists) per pre.
    let member_cost = |q: usize| 1 + member_binds(net, projs, q).bindings();
    let fits = |g: &[usize]| {
        let (posts, pres) = spike_lists(net, g);
        let members: usize = g.iter().map(|&q| member_cost(q)).sum();
        // A state read plainly by one member and written (atomically) as
        // another's post would be bound twice, which wgpu refuses.
        let aliased = g
            .iter()
            .any(|&q| reads_state(net, projs, q).is_some_and(|p| posts.contains(&p)));
        posts.len() + members + 2 * pres.len() <= budget && !aliased
    };
    greedy_groups(
        (0..net.projs.len()).filter(|&q| spike_mergeable(net, kinds, projs, q)),
        fits,
    )
    .into_iter()
    .map(|members| merged_spike_group(net, projs, layouts, members, float_atomics))
    .collect()
}

/// Whether a projection's delivery may join a merged one: any spiking
/// delivery but a convolution's; a plastic one too (its post_spike and its
/// variant without the assignments to w stay passes of their own).
fn spike_mergeable(net: &Network, kinds: &[ProjectionKind], projs: &[ProjPlan], q: usize) -> bool {
    matches!(
        kinds[q],
        ProjectionKind::Spike { .. } | ProjectionKind::Procedural { .. }
    ) && projs[q].learn.is_none()
        && !reads_a_conductance(net, q)
}

/// Whether a projection's `pre_spike` reads a conductance of its post
/// (which other members may be adding to): it stays apart, since separate
/// dispatches read it in creation order, as the CPU engine does, and a
/// merged one would race.
fn reads_a_conductance(net: &Network, q: usize) -> bool {
    let pr = &net.projs[q];
    let post = &net.pops[pr.post.0].ir;
    pr.ir.post_refs.iter().any(|name| {
        post.slot(name)
            .is_some_and(|s| post.conductances.iter().any(|c| c.1 == s))
    })
}

/// What a member of a merged delivery binds after its CSR or table.
fn member_binds(net: &Network, projs: &[ProjPlan], q: usize) -> codegen::MemberBinds {
    let pr = &net.projs[q];
    match &pr.procedural {
        Some(g) if g.per_synapse_delays() => codegen::MemberBinds::Ring,
        Some(_) => codegen::MemberBinds::Nothing,
        None if pr.ir.pre_spike_is_default => codegen::MemberBinds::Weights,
        None => {
            let sp = projs[q].spike.as_ref();
            codegen::MemberBinds::General {
                stores: sp.is_some_and(|s| s.stores),
                reads_pre: sp.is_some_and(|s| s.reads_pre) && pr.pre != pr.post,
            }
        }
    }
}

/// The population whose state a general member reads as its pre (another
/// population than its post), if any.
fn reads_state(net: &Network, projs: &[ProjPlan], q: usize) -> Option<usize> {
    match member_binds(net, projs, q) {
        codegen::MemberBinds::General {
            reads_pre: true, ..
        } => Some(net.projs[q].pre.0),
        _ => None,
    }
}

/// A merged delivery's distinct posts and pres, in the order its members
/// come.
fn spike_lists(net: &Network, g: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let (mut posts, mut pres) = (Vec::new(), Vec::new());
    for &q in g {
        add_distinct(&mut posts, net.projs[q].post.0);
        add_distinct(&mut pres, net.projs[q].pre.0);
    }
    (posts, pres)
}

/// A group of spiking projections as one merged delivery: its bindings,
/// workgroups and kernel.
fn merged_spike_group(
    net: &Network,
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    members: Vec<usize>,
    float_atomics: bool,
) -> MergedPlan {
    let (posts, pres) = spike_lists(net, &members);
    let binds: Vec<codegen::MemberBinds> = members
        .iter()
        .map(|&q| member_binds(net, projs, q))
        .collect();
    let at = index_of;
    let parts: Vec<codegen::SpikeMember> = members
        .iter()
        .zip(&binds)
        .map(|(&q, &binds)| {
            let pr = &net.projs[q];
            codegen::SpikeMember {
                name: &pr.name,
                kernel: &projs[q].kernel,
                binds,
                pre: at(&pres, pr.pre.0),
                post: at(&posts, pr.post.0),
                blocks: projs[q].spike.as_ref().map_or(0, |sp| sp.blocks),
            }
        })
        .collect();
    let pre_of = parts.iter().map(|m| m.pre).collect();
    let post_names: Vec<&str> = posts.iter().map(|&p| net.pops[p].name.as_str()).collect();
    let groups = spike_groups(pres.iter().map(|&p| layouts[p].n).max().unwrap_or(1));
    let kernel =
        codegen::spike_propagate_merged(&post_names, &parts, pres.len(), groups, float_atomics);
    MergedPlan {
        posts,
        binds,
        members,
        pres,
        pre_of,
        groups,
        gather: false,
        kernel,
    }
}

/// The conductances (population, slot) a spiking delivery adds into.
fn conductances_fed(net: &Network, kinds: &[ProjectionKind], q: usize) -> Vec<(usize, usize)> {
    let post = net.projs[q].post.0;
    match kinds[q] {
        ProjectionKind::Spike { g } => std::iter::once(g)
            .chain(crate::engine::more_conductances(net, &net.projs[q]))
            .map(|g| (post, g))
            .collect(),
        ProjectionKind::Procedural { g } | ProjectionKind::ConvSpike { g } => vec![(post, g)],
        _ => Vec::new(),
    }
}

/// The deterministic mode's merged deliveries (`spike_gather_merged`):
/// the stored spiking projections that may merge
/// ([`spike_mergeable`]), in creation order, each group binding at most
/// `budget` storage buffers (a state per distinct post, a CSR and what
/// `MemberBinds::bindings` says per member, the counts and bitmasks of
/// each distinct pre). A projection stays out when a delivery that cannot
/// join (procedural, convolution, one with synapse equations) adds into
/// one of its conductances: a group runs where its first member ran, and
/// the CPU engine's order of additions would change.
fn merge_gathers(
    net: &Network,
    kinds: &[ProjectionKind],
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
) -> Vec<MergedPlan> {
    let joins = |q: usize| {
        matches!(kinds[q], ProjectionKind::Spike { .. }) && spike_mergeable(net, kinds, projs, q)
    };
    let mergeable = |q: usize| {
        let fed = conductances_fed(net, kinds, q);
        joins(q)
            && (0..net.projs.len()).all(|o| {
                joins(o)
                    || conductances_fed(net, kinds, o)
                        .iter()
                        .all(|c| !fed.contains(c))
            })
    };
    let fits = |g: &[usize]| {
        let (posts, pres) = spike_lists(net, g);
        let members: usize = g
            .iter()
            .map(|&q| 1 + member_binds(net, projs, q).bindings())
            .sum();
        let aliased = g
            .iter()
            .any(|&q| reads_state(net, projs, q).is_some_and(|p| posts.contains(&p)));
        let threads: u64 = posts.iter().map(|&p| u64::from(layouts[p].n)).sum();
        posts.len() + members + pres.len() <= budget && !aliased && threads <= u64::from(u32::MAX)
    };
    greedy_groups((0..net.projs.len()).filter(|&q| mergeable(q)), fits)
        .into_iter()
        .map(|members| {
            let (posts, pres) = spike_lists(net, &members);
            let binds: Vec<codegen::MemberBinds> = members
                .iter()
                .map(|&q| member_binds(net, projs, q))
                .collect();
            let parts: Vec<codegen::GatherMember> = members
                .iter()
                .zip(&binds)
                .map(|(&q, &binds)| {
                    let pr = &net.projs[q];
                    codegen::GatherMember {
                        name: &pr.name,
                        kernel: &projs[q].kernel,
                        binds,
                        pre: index_of(&pres, pr.pre.0),
                        post: index_of(&posts, pr.post.0),
                    }
                })
                .collect();
            let pre_of = parts.iter().map(|m| m.pre).collect();
            let sized: Vec<(&str, u32)> = posts
                .iter()
                .map(|&p| (net.pops[p].name.as_str(), layouts[p].n))
                .collect();
            let kernel = codegen::spike_gather_merged(&sized, &parts, pres.len());
            MergedPlan {
                groups: sized.iter().map(|x| x.1).sum(),
                gather: true,
                posts,
                binds,
                members,
                pres,
                pre_of,
                kernel,
            }
        })
        .collect()
}

/// `p` appended to `list` unless it is there already.
pub(super) fn add_distinct(list: &mut Vec<usize>, p: usize) {
    if !list.contains(&p) {
        list.push(p);
    }
}

/// Where population `p` is among a group's (every member's are listed).
pub(super) fn index_of(list: &[usize], p: usize) -> usize {
    list.iter()
        .position(|&x| x == p)
        .expect("every member's populations are listed")
}

/// The candidates, in order, grouped greedily: a group takes the next
/// candidate while it still `fits`, else the candidate starts the next
/// one; groups of fewer than two are dropped (they gain nothing).
pub(super) fn greedy_groups(
    candidates: impl Iterator<Item = usize>,
    fits: impl Fn(&[usize]) -> bool,
) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for q in candidates {
        cur.push(q);
        if !fits(&cur) {
            cur.pop();
            groups.push(std::mem::replace(&mut cur, vec![q]));
        }
    }
    groups.push(cur);
    groups.retain(|g| g.len() >= 2);
    groups
}

/// Groups the rate-coded projections and the untiled convolutions, in
/// creation order, each group binding at most `budget` storage buffers (a
/// state per distinct population, a history per distinct delayed pre, a
/// CSR, values and parameters per member); groups of one are left alone.
/// A projection stays out when one that cannot join (a tiled or
/// transposed convolution, a decoding projection) adds into the same
/// `sum(target)`: the merged sum runs where its first member ran, which
/// would change the order of the additions.
pub(super) fn merge_rates(
    net: &Network,
    kinds: &[ProjectionKind],
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
) -> Vec<MergedRates> {
    let sum_of = |q: usize| match kinds[q] {
        ProjectionKind::Rate { into } => Some((net.projs[q].post.0, into)),
        ProjectionKind::Conv { sum } | ProjectionKind::Decode { sum, .. } => {
            Some((net.projs[q].post.0, Input::Sum(sum)))
        }
        _ => None,
    };
    // A rate sum, or a convolution or pooling with the thread per post
    // neuron and the bindings of a rate sum (not tiled, not transposed).
    // A psp with pre_spike statements binds more (and writes its
    // synapses): it runs alone.
    let kind_fits = |q: usize| match kinds[q] {
        ProjectionKind::Rate { .. } => !projs[q].events,
        ProjectionKind::Conv { .. } => {
            projs[q].tiles.is_none() && net.projs[q].conv.as_ref().is_some_and(|c| !c.transposed)
        }
        _ => false,
    };
    let mergeable = |q: usize| {
        kind_fits(q) && (0..net.projs.len()).all(|o| kind_fits(o) || sum_of(o) != sum_of(q))
    };
    // A group's populations (its posts first), how many are posts, and
    // the delayed pres whose histories it reads.
    let lists = |g: &[usize]| {
        let (mut pops, mut hists) = (Vec::new(), Vec::new());
        for &q in g {
            add_distinct(&mut pops, net.projs[q].post.0);
        }
        let posts = pops.len();
        for &q in g {
            let pre = net.projs[q].pre.0;
            add_distinct(&mut pops, pre);
            if projs[q].uses_hist {
                add_distinct(&mut hists, pre);
            }
        }
        (pops, posts, hists)
    };
    let fits = |g: &[usize]| {
        let (pops, posts, hists) = lists(g);
        let threads: u64 = pops[..posts].iter().map(|&p| u64::from(layouts[p].n)).sum();
        pops.len() + hists.len() + 3 * g.len() <= budget && threads <= u64::from(u32::MAX)
    };
    greedy_groups((0..net.projs.len()).filter(|&q| mergeable(q)), fits)
        .into_iter()
        .map(|members| {
            let (pops, posts, hists) = lists(&members);
            let at = index_of;
            let parts: Vec<codegen::RateMember> = members
                .iter()
                .map(|&q| {
                    let pr = &net.projs[q];
                    codegen::RateMember {
                        name: &pr.name,
                        kernel: &projs[q].kernel,
                        post: at(&pops, pr.post.0),
                        pre: at(&pops, pr.pre.0),
                        hist: projs[q].uses_hist.then(|| at(&hists, pr.pre.0)),
                    }
                })
                .collect();
            let named: Vec<(&str, u32)> = pops
                .iter()
                .map(|&p| (net.pops[p].name.as_str(), layouts[p].n))
                .collect();
            let kernel = codegen::rate_sum_merged(&named, posts, hists.len(), &parts);
            MergedRates {
                members,
                pops,
                posts,
                hists,
                kernel,
            }
        })
        .collect()
}

/// Groups the `post_spike` kernels of plastic projections, in creation
/// order, each group binding at most `budget` storage buffers (a state per
/// distinct population read, a spike ring (2) per distinct post, a CSR,
/// values and parameters per member); groups of one are left alone.
pub(super) fn merge_posts(
    net: &Network,
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
) -> Vec<MergedPost> {
    // The populations whose states a group reads (posts and pres, once
    // each) and the posts whose spike rings it reads.
    let lists = |g: &[usize]| {
        let (mut pops, mut rings) = (Vec::new(), Vec::new());
        for &q in g {
            let pr = &net.projs[q];
            add_distinct(&mut pops, pr.post.0);
            add_distinct(&mut pops, pr.pre.0);
            add_distinct(&mut rings, pr.post.0);
        }
        (pops, rings)
    };
    let fits = |g: &[usize]| {
        let (pops, rings) = lists(g);
        pops.len() + 2 * rings.len() + 3 * g.len() <= budget
    };
    greedy_groups(
        (0..net.projs.len()).filter(|&q| projs[q].post.is_some()),
        fits,
    )
    .into_iter()
    .map(|members| {
        let (pops, rings) = lists(&members);
        let at = index_of;
        let parts: Vec<codegen::PostMember> = members
            .iter()
            .map(|&q| {
                let pr = &net.projs[q];
                codegen::PostMember {
                    name: &pr.name,
                    kernel: projs[q].post.as_ref().expect("filtered on post"),
                    post: at(&pops, pr.post.0),
                    pre: at(&pops, pr.pre.0),
                    ring: at(&rings, pr.post.0),
                }
            })
            .collect();
        let names: Vec<&str> = pops.iter().map(|&p| net.pops[p].name.as_str()).collect();
        let kernel = codegen::post_spike_merged(&names, rings.len(), &parts);
        let groups = spike_groups(rings.iter().map(|&p| layouts[p].n).max().unwrap_or(1));
        MergedPost {
            members,
            pops,
            rings,
            groups,
            kernel,
        }
    })
    .collect()
}

/// Groups the learning rules of rate-coded projections, in creation
/// order, each group binding at most `budget` storage buffers (a state per
/// distinct population, a CSR, values and parameters per member) and
/// running at most `u32::MAX` threads; groups of one are left alone.
pub(super) fn merge_learns(net: &Network, projs: &[ProjPlan], budget: usize) -> Vec<MergedLearn> {
    let pops_of = |g: &[usize]| {
        let mut pops = Vec::new();
        for &q in g {
            add_distinct(&mut pops, net.projs[q].post.0);
            add_distinct(&mut pops, net.projs[q].pre.0);
        }
        pops
    };
    let threads = |g: &[usize]| -> u64 { g.iter().map(|&q| u64::from(projs[q].layout.nsyn)).sum() };
    let fits =
        |g: &[usize]| pops_of(g).len() + 3 * g.len() <= budget && threads(g) <= u64::from(u32::MAX);
    greedy_groups(
        (0..net.projs.len()).filter(|&q| projs[q].learn.is_some()),
        fits,
    )
    .into_iter()
    .map(|members| {
        let pops = pops_of(&members);
        let at = |p: usize| index_of(&pops, p);
        let parts: Vec<codegen::LearnMember> = members
            .iter()
            .map(|&q| codegen::LearnMember {
                name: &net.projs[q].name,
                kernel: projs[q].learn.as_ref().expect("filtered on learn"),
                post: at(net.projs[q].post.0),
                pre: at(net.projs[q].pre.0),
                nsyn: projs[q].layout.nsyn,
            })
            .collect();
        let names: Vec<&str> = pops.iter().map(|&p| net.pops[p].name.as_str()).collect();
        MergedLearn {
            kernel: codegen::synapse_update_merged(&names, &parts),
            threads: threads(&members) as u32,
            members,
            pops,
        }
    })
    .collect()
}
