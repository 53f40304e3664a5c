//! The CPU engine as one rank of a distributed run
//! (`engine::distributed`): its spike histories and state vectors around
//! the exchange of `engine::rank`.

use super::*;
use crate::engine::rank::{Carried, Mark, Rank};

impl<R: VmReal> CpuEngine<R> {
    /// Makes this engine (built from the rank's part of the network) one
    /// rank of a distributed run.
    pub(crate) fn distribute(&mut self, rank: Rank) {
        for (p, pop) in self.pops.iter_mut().enumerate() {
            if rank.reads(p) {
                // A rank keeps its own spikes until the exchange, whatever
                // delays its own synapses have.
                pop.hist_depth = pop.hist_depth.max(rank.unexchanged());
            }
        }
        self.dist = Some(Box::new(rank));
        self.reset_history();
    }

    /// After the neurons' update of a step: the values other ranks read,
    /// and the spikes once per interval (overlapped: the exchange in
    /// flight taken, this interval's handed to the exchange thread).
    pub(super) fn exchange_step(&mut self) {
        let Some(d) = self.dist.as_mut() else { return };
        d.pending += 1;
        if d.pending < d.interval {
            return;
        }
        if d.overlap {
            self.finish_exchange();
            self.start_exchange();
        } else {
            self.exchange();
        }
    }

    /// This rank's spikes of the pending steps (step `k`: history entry
    /// `k`), for an exchange: copied, or with `take` taken out of the
    /// histories (an exchange made now puts the merged lists in their
    /// places; one still in flight reads the histories meanwhile).
    fn own_pending(&mut self, take: bool) -> Vec<Vec<Vec<u32>>> {
        let Some(d) = self.dist.as_ref() else {
            return Vec::new();
        };
        (0..d.pending)
            .map(|k| {
                self.pops
                    .iter_mut()
                    .enumerate()
                    .map(|(p, pop)| match (d.reads(p), pop.spike_hist.get_mut(k)) {
                        (true, Some(list)) if take => std::mem::take(list),
                        (true, Some(list)) => list.clone(),
                        _ => Vec::new(),
                    })
                    .collect()
            })
            .collect()
    }

    /// Hands the pending steps' spikes to the exchange thread.
    fn start_exchange(&mut self) {
        let mine = self.own_pending(false);
        let Some(d) = self.dist.as_mut() else { return };
        if d.failed.is_some() {
            return;
        }
        if let Err(e) = d.start(&mine) {
            d.failed = Some(e);
        }
    }

    /// Takes the exchange in flight, if any, into the histories: its
    /// steps are now behind the pending ones.
    fn finish_exchange(&mut self) {
        let Some(d) = self.dist.as_mut() else { return };
        let offset = d.pending;
        match d.finish() {
            Ok(Some(got)) => self.apply(got, offset),
            Ok(None) => {}
            Err(e) => {
                if d.failed.is_none() {
                    d.failed = Some(e);
                }
            }
        }
    }

    /// Writes an exchange's merged spikes into the histories (its step `k`
    /// at entry `offset + k`) and its values into the state.
    fn apply(&mut self, got: crate::engine::rank::Exchanged, offset: usize) {
        let Some(d) = self.dist.as_ref() else { return };
        for (k, step) in got.spikes.into_iter().enumerate() {
            for (p, merged) in step.into_iter().enumerate() {
                if d.reads(p) {
                    if let Some(list) = self.pops[p].spike_hist.get_mut(offset + k) {
                        *list = merged;
                    }
                }
            }
        }
        for (p, c, whole) in got.values {
            // The CPU engine carries slots only.
            if let Carried::Slot(s) = c {
                for (v, w) in self.pops[p].vars[s].iter_mut().zip(whole.chunks(R::WORDS)) {
                    *v = R::of_words(w);
                }
            }
        }
    }

    /// Gathers the spikes of the steps since the last exchange and this
    /// step's exchanged values from every rank: the merged lists replace
    /// this rank's in the histories (step `k` of the exchange is entry `k`
    /// of each history), the values land in the other ranks' blocks.
    fn exchange(&mut self) {
        let Some(d) = self.dist.as_ref() else { return };
        if d.failed.is_some() {
            return;
        }
        // Taken rather than copied: the merged lists take their places (or
        // they go back).
        let mine = self.own_pending(true);
        let Some(d) = self.dist.as_mut() else { return };
        let pops = &self.pops;
        let values = |p: usize, c: Carried, block: std::ops::Range<usize>| -> Vec<u32> {
            match c {
                Carried::Slot(s) => {
                    let mut words = Vec::with_capacity(block.len() * R::WORDS);
                    pops[p].vars[s][block]
                        .iter()
                        .for_each(|v| v.put_words(&mut words));
                    words
                }
                Carried::LastSpike => Vec::new(),
            }
        };
        match d.exchange(&mine, values) {
            Ok(got) => self.apply(got, 0),
            Err(e) => {
                d.failed = Some(e);
                for (k, step) in mine.into_iter().enumerate() {
                    for (pop, list) in self.pops.iter_mut().zip(step) {
                        if let Some(h) = pop.spike_hist.get_mut(k) {
                            if h.is_empty() {
                                *h = list;
                            }
                        }
                    }
                }
            }
        }
    }

    /// The end of a run: the last spikes exchanged, the monitors'
    /// recordings of the run (from `marks`, their lengths before it)
    /// merged, so that every rank holds all of them; the first failure.
    pub(super) fn end_run(&mut self, monitors: &mut [MonitorState], marks: &[Mark]) -> Result<()> {
        // Everything exchanged before the run returns: the exchange in
        // flight, then the steps since (a run's state is whole at its end).
        self.finish_exchange();
        if self.dist.as_ref().is_some_and(|d| d.pending > 0) {
            self.exchange();
        }
        let Some(d) = self.dist.as_mut() else {
            return Ok(());
        };
        if let Some(e) = d.failed.take() {
            return Err(e);
        }
        d.merge_monitors(monitors, marks)
    }

    /// Every rank's block of `values` (one value per neuron of population
    /// `pop`) put together: the whole population's values.
    pub(super) fn gather_neurons(&self, pop: usize, values: Vec<R>) -> Result<Vec<R>> {
        match &self.dist {
            Some(d) => d.gather_neurons(pop, values),
            None => Ok(values),
        }
    }

    /// Every rank's synapses' `values` of projection `proj` put together,
    /// in the network's (post, pre) order.
    pub(super) fn gather_synapses(&self, proj: usize, values: Vec<R>) -> Result<Vec<R>> {
        match &self.dist {
            Some(d) => d.gather_values(proj, self.projs[proj].syn.post.len(), values),
            None => Ok(values),
        }
    }

    /// Every rank's `words` (one per synapse of projection `proj` it
    /// holds) put together, in the network's (post, pre) order.
    pub(super) fn gather_ranks(&self, proj: usize, words: Vec<u32>) -> Result<Vec<u32>> {
        match &self.dist {
            Some(d) => d.gather_ranks(proj, self.projs[proj].syn.post.len(), words, 1),
            None => Ok(words),
        }
    }

    /// The rank's part of a projection slot's values given for the whole
    /// network (a setter's, a reset's).
    pub(super) fn own_slot(&self, proj: usize, slot: usize, values: Vec<R>) -> Vec<R> {
        match &self.dist {
            Some(d) => d.own_slot(proj, slot, values),
            None => values,
        }
    }
}
