//! Population views: some neurons of a population, in a given order, to
//! read and write variables of, to connect from or to, and to record.

use std::ops::Range;

use super::{assign_to, slot_of, Network, PopId};
use crate::engine::Value;
use crate::error::{Error, Result};
use crate::random::rng_for;

/// Some neurons of a population (ANNarchy's `PopulationView`), by rank, in
/// the order given (each at most once).
///
/// ```
/// # use cajal::prelude::*;
/// let mut net = Network::new();
/// let pop = net.population("p", &[4usize, 5][..], &Neuron::rate().equations("r = 1.0"))?;
/// let first_row = net.slice(pop, 0..5)?;
/// let corners = net.view_at(pop, &[&[0, 0], &[3, 4]])?;
/// assert_eq!(corners.ranks(), &[0, 19]);
/// assert_eq!(first_row.len(), 5);
/// # Ok::<(), cajal::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pop: PopId,
    ranks: Vec<u32>,
}

impl View {
    /// The population it is part of.
    pub fn population(&self) -> PopId {
        self.pop
    }

    /// Its neurons' ranks in the population, in view order.
    pub fn ranks(&self) -> &[u32] {
        &self.ranks
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.ranks.len()
    }

    /// Whether it has no neuron (never true for a view made by a network).
    pub fn is_empty(&self) -> bool {
        self.ranks.is_empty()
    }
}

/// A whole population or a view: what projections and monitors take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub(crate) pop: PopId,
    pub(crate) ranks: Option<Vec<u32>>,
}

impl From<PopId> for Part {
    fn from(pop: PopId) -> Self {
        Part { pop, ranks: None }
    }
}

impl From<View> for Part {
    fn from(v: View) -> Self {
        Part {
            pop: v.pop,
            ranks: Some(v.ranks),
        }
    }
}

impl From<&View> for Part {
    fn from(v: &View) -> Self {
        v.clone().into()
    }
}

impl Network {
    /// A view of the neurons `ranks` of `pop`, in that order.
    pub fn view(&self, pop: PopId, ranks: &[usize]) -> Result<View> {
        let p = self.pop(pop)?;
        let owner = format!("view of population '{}'", p.name);
        if ranks.is_empty() {
            return Err(Error::invalid(owner, "a view needs at least one neuron"));
        }
        let mut seen = vec![false; p.size()];
        for &r in ranks {
            if r >= p.size() {
                return Err(Error::invalid(
                    owner,
                    format!("rank {r} is out of range (size {})", p.size()),
                ));
            }
            if std::mem::replace(&mut seen[r], true) {
                return Err(Error::invalid(owner, format!("rank {r} appears twice")));
            }
        }
        Ok(View {
            pop,
            ranks: ranks.iter().map(|&r| r as u32).collect(),
        })
    }

    /// A view of the ranks `range` of `pop` (ANNarchy's `pop[10:20]`).
    pub fn slice(&self, pop: PopId, range: Range<usize>) -> Result<View> {
        let ranks: Vec<usize> = range.collect();
        self.view(pop, &ranks)
    }

    /// A view of the neurons at these coordinates of `pop`'s geometry.
    pub fn view_at(&self, pop: PopId, coords: &[&[usize]]) -> Result<View> {
        let g = &self.pop(pop)?.geometry;
        let ranks = coords
            .iter()
            .map(|c| g.rank(c))
            .collect::<Result<Vec<_>>>()?;
        self.view(pop, &ranks)
    }

    /// Sets the initial value of a per-neuron variable or parameter for the
    /// neurons of a view: a scalar, one value per neuron of the view (in
    /// view order), or a distribution.
    pub fn set_view(&mut self, view: &View, var: &str, value: impl Into<Value>) -> Result<()> {
        let stream = self.init_draws;
        self.init_draws += 1;
        let mut rng = rng_for(self.seed, 0x1000_0000 + stream);
        let dtype = self.precision();
        let p = self.pop(view.pop)?;
        let values = assign_to(p, var, &value.into(), &mut rng, Some(view.len()), dtype)?;
        let slot = slot_of(p, var)?;
        let p = &mut self.pops[view.pop.0];
        for (k, &r) in view.ranks.iter().enumerate() {
            p.init[slot].set(r as usize, values.get(k));
        }
        p.assigned(slot);
        Ok(())
    }
}
