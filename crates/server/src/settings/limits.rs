//! How many connections the process can afford: the open-file limit, shared among the workers.

use super::ServerSettings;

impl ServerSettings {
    /// Each connection holds its socket and a duplicate of it (to see whether the client is still there).
    const DESCRIPTORS_PER_CONNECTION: u64 = 2;

    /// How many connections each worker may hold open: `max_connections_per_worker`, or with 0 as many
    /// as the open-file limit allows once the pool, database files, listeners and logs have theirs
    /// (capped at actix's default of 25,000). A flood then waits in the listen queue instead of
    /// running the process out of descriptors, which stops the listener from accepting anything.
    pub fn connections_per_worker(&self, pool_max_size: u32) -> Result<usize, String> {
        // `serve` raises the soft limit to the hard one before it listens.
        let limit = open_file_limit();
        let reserved = 64 + 3 * u64::from(pool_max_size);
        let workers = self.worker_count() as u64;
        let affordable = limit.saturating_sub(reserved) / (workers * Self::DESCRIPTORS_PER_CONNECTION);
        let affordable = usize::try_from(affordable).unwrap_or(usize::MAX);
        match self.max_connections_per_worker {
            0 if affordable == 0 => {
                Err(format!("the open-file limit ({limit}) leaves no room for connections; raise it (ulimit -n)"))
            }
            0 => Ok(affordable.min(25_000)),
            n if n <= affordable => Ok(n),
            n => Err(format!(
                "server.max_connections_per_worker is {n}, but with {workers} worker(s) the open-file limit \
                 ({limit}) allows at most {affordable} (APP__SERVER__MAX_CONNECTIONS_PER_WORKER, or ulimit -n)"
            )),
        }
    }

    /// The number of workers that will run (0 = one per core).
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

/// The most open files this process may have: the hard limit, which `serve` raises the soft one to.
pub fn open_file_limit() -> u64 {
    rlimit::Resource::NOFILE.get_hard().unwrap_or(1024)
}
