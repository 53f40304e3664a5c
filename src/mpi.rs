//! Distributed runs over MPI (feature `mpi`): [`World`], the
//! [`Comm`] of the processes `mpirun`
//! (or `mpiexec`) started, through the `mpi` crate (rsmpi) on the
//! machine's MPI library (Open MPI, MPICH).
//!
//! ```no_run
//! # use cajal::prelude::*;
//! let world = cajal::mpi::World::init()?;
//! let (mut net, exc, _) = cajal::networks::coba(4000, 1)?;
//! let m = net.monitor(exc, &["spike"])?;
//! let mut sim = net.compile_distributed(world)?;
//! sim.simulate(1000.0)?;
//! if sim.rank() == 0 {
//!     println!("{} spikes", sim.spikes(m)?.len());
//! }
//! # Ok::<(), cajal::Error>(())
//! ```

use std::sync::Arc;

use ::mpi::datatype::PartitionMut;
use ::mpi::environment::Universe;
use ::mpi::topology::SimpleCommunicator;
use ::mpi::traits::{Communicator, CommunicatorCollectives};
use ::mpi::{Count, Threading};

use crate::engine::distributed::Comm;
use crate::error::{Error, Result};

/// The processes of this MPI job (`MPI_COMM_WORLD`). MPI is finalized when
/// the last handle is dropped.
pub struct World {
    world: SimpleCommunicator,
    _universe: Universe,
}

// SAFETY: MPI is initialized with MPI_THREAD_SERIALIZED or more (checked by
// `init`), which allows calls from any thread as long as no two are made
// at once; a rank's calls come one after the other: from its one control
// flow (the caller, or the pool worker running the engine's steps while
// the caller waits), or from its exchange thread while that control flow
// computes and makes none, taking the result before its next call
// (`engine::rank`'s courier).
unsafe impl Send for World {}
// SAFETY: as for Send: `all_gather` is never called from two threads at once.
unsafe impl Sync for World {}

impl World {
    /// Initializes MPI (once per process) and returns this job's
    /// processes; an error if MPI was initialized already or cannot give
    /// the thread support the engine needs.
    pub fn init() -> Result<Arc<World>> {
        let fail = |message: String| Error::Distributed { rank: 0, message };
        let (universe, level) = ::mpi::initialize_with_threading(Threading::Serialized)
            .ok_or_else(|| fail("MPI was initialized already in this process".into()))?;
        if level < Threading::Serialized {
            return Err(fail(format!(
                "the MPI library gives thread support {level:?}, the engine needs Serialized"
            )));
        }
        let world = universe.world();
        // Networks this process builds from now on keep its part.
        crate::engine::distributed::set_process_rank(world.rank() as usize, world.size() as usize);
        Ok(Arc::new(World {
            world,
            _universe: universe,
        }))
    }
}

impl Comm for World {
    fn abort(&self, code: i32) {
        self.world.abort(code)
    }

    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather(&self, mine: &[u32]) -> Result<Vec<Vec<u32>>> {
        let size = self.size();
        let too_big = || Error::Distributed {
            rank: self.rank(),
            message: format!(
                "an exchange of {} values is more than MPI's counts (32 bits) address",
                mine.len()
            ),
        };
        let count = Count::try_from(mine.len()).map_err(|_| too_big())?;
        let mut counts: Vec<Count> = vec![0; size];
        self.world.all_gather_into(&count, &mut counts[..]);
        let mut displs = Vec::with_capacity(size);
        let mut total: Count = 0;
        for &c in &counts {
            displs.push(total);
            total = total.checked_add(c).ok_or_else(too_big)?;
        }
        let mut buf = vec![0u32; total as usize];
        {
            let mut parts = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(mine, &mut parts);
        }
        Ok(counts
            .iter()
            .zip(&displs)
            .map(|(&c, &d)| buf[d as usize..(d + c) as usize].to_vec())
            .collect())
    }
}
