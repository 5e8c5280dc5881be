//! How many hashes a machine runs at once, decided here once: the api's bound on concurrent hashes,
//! the server's blocking threads and the engine's threads all follow it.

use crate::engine::LANES;

/// Hashes let through at once (`permits`), and the engine threads that compute them (`threads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCapacity {
    pub permits: usize,
    pub threads: usize,
}

impl HashCapacity {
    /// What `configured` may be: 0 (`LANES` per core) or a count.
    pub const CONFIGURED: std::ops::RangeInclusive<usize> = 0..=1024;

    /// `configured` hashes at once (`password.max_concurrent_hashes`), or with 0 `LANES` per core:
    /// one engine thread per core computes that many side by side, and more would only wait for the
    /// same cores. Never more threads than cores or than hashes let through.
    pub fn of(configured: usize, cores: usize) -> Self {
        let cores = cores.max(1);
        let permits = if configured == 0 { cores * LANES } else { configured };
        Self { permits, threads: cores.min(permits) }
    }

    /// The same for this machine's cores.
    pub fn for_this_machine(configured: usize) -> Self {
        Self::of(configured, std::thread::available_parallelism().map_or(1, usize::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_lanes_per_core_and_threads_never_outnumber_cores_or_permits() {
        assert_eq!(HashCapacity::of(0, 2), HashCapacity { permits: 2 * LANES, threads: 2 });
        assert_eq!(HashCapacity::of(0, 0), HashCapacity { permits: LANES, threads: 1 });
        assert_eq!(HashCapacity::of(3, 16), HashCapacity { permits: 3, threads: 3 });
        assert_eq!(HashCapacity::of(100, 4), HashCapacity { permits: 100, threads: 4 });
    }
}
