//! Threads that compute bcrypt for the requests waiting for it, up to four side by side on each thread.
//!
//! One bcrypt leaves most of a core idle (each round waits for its table lookups), so four hashes
//! interleaved on one core take about 1.5 × the time of one (`eksblowfish.rs`): a server whose logins
//! queue for the cores does nearly three times as many. A hash alone still runs alone, at full speed.
//! The callers are blocking threads (the use cases are synchronous); each waits for its own result.

use crate::eksblowfish::bcrypt_raw_lanes;
use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// The most hashes one thread computes side by side. More do not fit the idle time: four take 1.47 × the
/// time of one on the machines measured, and each lane's S-boxes (4 KiB) must stay in the core's L1 cache.
pub const LANES: usize = 4;

/// How long a thread waits for a batch to fill while no other thread computes: 1 % of a cost-12 hash.
const GATHER: std::time::Duration = std::time::Duration::from_millis(2);

/// While other threads compute, a thread waits longer for a full batch: this share of the time the last
/// batch of the cost took (3 %: ~9 ms at cost 12), at most `GATHER_BUSY_MAX`. Under load the answers of
/// one batch come back as new requests a few milliseconds apart (each is counted against its attempt
/// limits first, a database write); taken after 2 ms they ran as batches of one and two, and logins at
/// cost 12 lost a tenth of their throughput (docs/BENCHMARKS.md). A lone request on an idle engine still
/// waits only `GATHER`.
const GATHER_BUSY_DIVISOR: u32 = 32;
const GATHER_BUSY_MAX: std::time::Duration = std::time::Duration::from_millis(20);

/// bcrypt's cipher work for one key: the key as bcrypt takes it (`bcrypt_key`), its salt and cost.
struct Job {
    cost: u32,
    salt: [u8; 16],
    key: [u8; 72],
    key_len: usize,
    reply: SyncSender<[u8; 24]>,
}

impl Drop for Job {
    fn drop(&mut self) {
        // the key is the password's bytes
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// threads waiting for work, and threads waiting for a batch to fill: a few jobs are shared out
    /// among them instead of taken by the first thread awake
    idle: usize,
    gathering: usize,
    /// threads computing a batch
    computing: usize,
    /// how long the last batch of each cost took
    last_batch: [Option<std::time::Duration>; 32],
    closed: bool,
}

impl Queue {
    /// How long to wait for a batch of `cost` to fill (see `GATHER_BUSY_DIVISOR`).
    fn gather(&self, cost: u32) -> std::time::Duration {
        match (self.computing, self.last_batch.get(cost as usize).copied().flatten()) {
            (0, _) | (_, None) => GATHER,
            (_, Some(took)) => (took / GATHER_BUSY_DIVISOR).clamp(GATHER, GATHER_BUSY_MAX),
        }
    }
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    /// batches computed, by how many hashes they held (index 1 to `LANES`)
    batches: [std::sync::atomic::AtomicU64; LANES + 1],
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // nothing a holder does can leave the queue inconsistent, so a panic elsewhere does not matter
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The hashing threads, shared by every use case that hashes (register, login, password change).
pub struct BcryptEngine {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl BcryptEngine {
    pub const LANES: usize = LANES;

    /// Starts `threads` hashing threads (at least one): one per core the hashes may use.
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let mut engine = Self::unstarted();
        engine.spawn(threads.max(1))?;
        Ok(engine)
    }

    fn unstarted() -> Self {
        Self { shared: Arc::default(), threads: Vec::new() }
    }

    fn spawn(&mut self, threads: usize) -> std::io::Result<()> {
        for n in self.threads.len()..self.threads.len() + threads {
            let shared = self.shared.clone();
            let thread = std::thread::Builder::new().name(format!("bcrypt-{n}")).spawn(move || work(&shared))?;
            self.threads.push(thread);
        }
        Ok(())
    }

    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// `bcrypt_raw(cost, salt, key)`, computed on one of the engine's threads; blocks until it is done.
    /// `None` only if that thread failed (the caller then computes it itself).
    pub(crate) fn bcrypt_raw(&self, cost: u32, salt: [u8; 16], key: &[u8]) -> Option<[u8; 24]> {
        let (reply, result) = sync_channel(1);
        let mut job = Job { cost, salt, key: [0; 72], key_len: key.len(), reply };
        job.key[..key.len()].copy_from_slice(key);
        self.shared.lock().jobs.push_back(job);
        self.shared.work.notify_one();
        result.recv().ok()
    }

    /// How many batches of each size (1 to `LANES` hashes) have been computed.
    pub fn batches(&self) -> [u64; LANES] {
        std::array::from_fn(|n| self.shared.batches[n + 1].load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl Drop for BcryptEngine {
    /// Lets the threads finish what is queued, then stops them.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for BcryptEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BcryptEngine").field("threads", &self.threads.len()).field("lanes", &LANES).finish()
    }
}

fn work(shared: &Shared) {
    while let Some(batch) = next_batch(shared) {
        shared.batches[batch.len()].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cost = batch[0].cost as usize;
        let started = std::time::Instant::now();
        // A panic here (none is known: the inputs are checked before they are queued) drops the batch's
        // reply senders, so its callers compute their hashes themselves; the thread goes on.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compute(batch)));
        let mut queue = shared.lock();
        queue.computing -= 1;
        if let Some(last) = queue.last_batch.get_mut(cost) {
            *last = Some(started.elapsed());
        }
    }
}

/// Waits for work, then takes the oldest job and more at its cost: `LANES` when that many are queued,
/// else a fair share of what is queued with the threads that are idle. `None` once the engine is closed
/// and the queue empty.
///
/// Before choosing it waits up to `GATHER` for `LANES` jobs: requests come a moment apart (a burst, or a
/// batch just answered coming back as new requests), and taken one by one they would run one or two
/// to a thread with the rest waiting a whole hash behind them. A lone request waits those 2 ms.
fn next_batch(shared: &Shared) -> Option<Vec<Job>> {
    let mut queue = shared.lock();
    loop {
        while queue.jobs.is_empty() {
            if queue.closed {
                return None;
            }
            queue.idle += 1;
            queue = shared.work.wait(queue).unwrap_or_else(PoisonError::into_inner);
            queue.idle -= 1;
        }
        let deadline = std::time::Instant::now() + queue.gather(queue.jobs[0].cost);
        queue.gathering += 1;
        while queue.jobs.len() < LANES && !queue.closed {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else { break };
            queue = shared.work.wait_timeout(queue, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        queue.gathering -= 1;
        // another thread may have taken them meanwhile
        if !queue.jobs.is_empty() {
            break;
        }
    }
    let share = match queue.jobs.len() {
        n if n >= LANES => LANES,
        n => n.div_ceil(queue.idle + queue.gathering + 1),
    };
    let first = queue.jobs.pop_front()?;
    let cost = first.cost;
    let mut batch = Vec::with_capacity(LANES);
    batch.push(first);
    let mut at = 0;
    while batch.len() < share && at < queue.jobs.len() {
        if queue.jobs[at].cost == cost {
            batch.extend(queue.jobs.remove(at));
        } else {
            at += 1;
        }
    }
    if !queue.jobs.is_empty() && queue.idle + queue.gathering > 0 {
        shared.work.notify_one();
    }
    queue.computing += 1;
    Some(batch)
}

// The widths the cipher is compiled for: powers of two up to `LANES`. A batch runs in the narrowest that
// holds it, its last job repeated in the lanes left over: three in four lanes are as fast as four, and
// sooner than two and then one. (Each width is a loop of its own to compile; three lanes compiled
// poorly, at 1.36 × the time of one instead of ~1.2 ×.)
const _: () = assert!(matches!(LANES, 1 | 2 | 4), "LANES must be 1, 2 or 4: add wider widths to `narrowest`");

fn compute(batch: Vec<Job>) {
    let digests = narrowest(&batch);
    for (job, digest) in batch.iter().zip(digests) {
        // the caller may have gone (its thread stopped); nobody else wants the result
        let _ = job.reply.send(digest);
    }
}

fn narrowest(batch: &[Job]) -> Vec<[u8; 24]> {
    match batch.len() {
        1 => lanes::<1>(batch),
        2 if LANES >= 2 => lanes::<2>(batch),
        3..=4 if LANES >= 4 => lanes::<4>(batch),
        n => unreachable!("a batch holds 1 to LANES jobs, not {n}"),
    }
}

/// The batch in `W` lanes (`W` >= its length), the last job repeated in the lanes left over.
fn lanes<const W: usize>(batch: &[Job]) -> Vec<[u8; 24]> {
    let job = |lane: usize| &batch[lane.min(batch.len() - 1)];
    let digests = bcrypt_raw_lanes(
        batch[0].cost,
        std::array::from_fn::<_, W, _>(|lane| job(lane).salt),
        std::array::from_fn::<_, W, _>(|lane| &job(lane).key[..job(lane).key_len]),
    );
    digests[..batch.len()].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eksblowfish::{bcrypt_key, bcrypt_raw};

    fn key(password: &str) -> Vec<u8> {
        let (key, len) = bcrypt_key(password.as_bytes());
        key[..len].to_vec()
    }

    /// Every caller gets its own hash back, whichever batch it was computed in.
    #[test]
    fn concurrent_callers_each_get_their_own_hash() {
        let engine = BcryptEngine::start(2).unwrap();
        let inputs: Vec<(u32, [u8; 16], Vec<u8>)> =
            (0..24).map(|n| (4 + n % 2, [n as u8; 16], key(&format!("password number {n}")))).collect();
        std::thread::scope(|scope| {
            let callers: Vec<_> =
                inputs.iter().map(|(cost, salt, key)| scope.spawn(|| engine.bcrypt_raw(*cost, *salt, key))).collect();
            for (caller, (cost, salt, key)) in callers.into_iter().zip(&inputs) {
                assert_eq!(caller.join().unwrap(), Some(bcrypt_raw(*cost, *salt, key)));
            }
        });
        let batches = engine.batches();
        assert_eq!(batches.iter().zip(1..).map(|(count, size)| count * size).sum::<u64>(), 24, "{batches:?}");
    }

    /// Waits (without sleeping) until `n` jobs are queued on an engine with no threads yet.
    fn queued(engine: &BcryptEngine, n: usize) {
        while engine.shared.lock().jobs.len() < n {
            std::thread::yield_now();
        }
    }

    #[test]
    fn queued_hashes_of_one_cost_are_computed_side_by_side() {
        let engine = BcryptEngine::unstarted();
        let inputs: Vec<([u8; 16], Vec<u8>)> = (0..6).map(|n| ([n as u8 + 1; 16], key(&format!("pw {n}")))).collect();
        std::thread::scope(|scope| {
            let engine_ref = &engine;
            let callers: Vec<_> =
                inputs.iter().map(|(salt, key)| scope.spawn(move || engine_ref.bcrypt_raw(4, *salt, key))).collect();
            queued(&engine, 6);
            // one thread, six waiting: a batch of four, then the two left
            let shared = engine.shared.clone();
            let thread = std::thread::spawn(move || work(&shared));
            for (caller, (salt, key)) in callers.into_iter().zip(&inputs) {
                assert_eq!(caller.join().unwrap(), Some(bcrypt_raw(4, *salt, key)));
            }
            engine.shared.lock().closed = true;
            engine.shared.work.notify_all();
            thread.join().unwrap();
        });
        assert_eq!(engine.batches(), [0, 1, 0, 1]);
    }

    #[test]
    fn a_batch_holds_one_cost() {
        let engine = BcryptEngine::unstarted();
        let costs = [4, 5, 4, 5, 4];
        std::thread::scope(|scope| {
            let engine_ref = &engine;
            let callers: Vec<_> = costs
                .iter()
                .enumerate()
                .map(|(n, &cost)| {
                    let salt = [n as u8; 16];
                    scope.spawn(move || {
                        (engine_ref.bcrypt_raw(cost, salt, &key("same")), bcrypt_raw(cost, salt, &key("same")))
                    })
                })
                .collect();
            queued(engine_ref, 5);
            let shared = engine_ref.shared.clone();
            let thread = std::thread::spawn(move || work(&shared));
            for caller in callers {
                let (got, alone) = caller.join().unwrap();
                assert_eq!(got, Some(alone));
            }
            engine_ref.shared.lock().closed = true;
            engine_ref.shared.work.notify_all();
            thread.join().unwrap();
        });
        // the three at cost 4 together (in four lanes), then the two at cost 5
        assert_eq!(engine.batches(), [0, 1, 1, 0]);
    }

    fn queue_jobs(engine: &BcryptEngine, n: u8) {
        let mut queue = engine.shared.lock();
        for n in 0..n {
            queue.jobs.push_back(Job { cost: 4, salt: [n; 16], key: [1; 72], key_len: 8, reply: sync_channel(1).0 });
        }
    }

    #[test]
    fn a_full_batch_is_taken_whole_and_fewer_are_shared_with_idle_threads() {
        let engine = BcryptEngine::unstarted();
        queue_jobs(&engine, 7);
        engine.shared.lock().idle = 1;
        // enough for a full batch: taken whole, even with another thread idle
        assert_eq!(next_batch(&engine.shared).unwrap().len(), 4);
        // three left, and no fourth within GATHER: shared with the idle thread
        assert_eq!(next_batch(&engine.shared).unwrap().len(), 2);
        engine.shared.lock().idle = 0;
        engine.shared.lock().gathering = 1;
        queue_jobs(&engine, 1);
        // two now, and a thread gathering too
        assert_eq!(next_batch(&engine.shared).unwrap().len(), 1);
        engine.shared.lock().gathering = 0;
        assert_eq!(next_batch(&engine.shared).unwrap().len(), 1);
        assert!(engine.shared.lock().jobs.is_empty());
    }

    #[test]
    fn a_thread_waits_longer_for_a_full_batch_only_while_others_compute() {
        let ms = std::time::Duration::from_millis;
        let mut queue = Queue::default();
        assert_eq!(queue.gather(12), GATHER, "idle, nothing measured");
        queue.last_batch[12] = Some(ms(288));
        assert_eq!(queue.gather(12), GATHER, "idle: a lone request waits only GATHER");
        queue.computing = 1;
        assert_eq!(queue.gather(12), ms(9), "under load: 1/32 of the last batch of the cost");
        assert_eq!(queue.gather(10), GATHER, "a cost not measured yet");
        queue.last_batch[4] = Some(ms(1));
        assert_eq!(queue.gather(4), GATHER, "never less than GATHER");
        queue.last_batch[16] = Some(ms(4600));
        assert_eq!(queue.gather(16), GATHER_BUSY_MAX);
    }

    #[test]
    fn dropping_the_engine_stops_its_threads() {
        let engine = BcryptEngine::start(3).unwrap();
        assert_eq!(engine.threads(), 3);
        assert_eq!(engine.bcrypt_raw(4, [7; 16], &key("pw")), Some(bcrypt_raw(4, [7; 16], &key("pw"))));
        // each thread holds the shared queue until it returns; the drop joins them all
        let shared = Arc::downgrade(&engine.shared);
        assert_eq!(shared.strong_count(), 4);
        drop(engine);
        assert_eq!(shared.strong_count(), 0, "every thread has returned");
    }

    #[test]
    fn debug_names_the_shape_only() {
        let engine = BcryptEngine::start(1).unwrap();
        assert_eq!(format!("{engine:?}"), "BcryptEngine { threads: 1, lanes: 4 }");
    }
}
