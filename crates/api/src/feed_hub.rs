//! The revocation feed on one instance: what has been published (the cursor every page and stream reads
//! up to), the subscribers' channel, and their bound. A poller (the server's feed task) reads new rows
//! and hands them here.
//!
//! Cursors are the rows' ids, the same on every instance. On PostgreSQL ids are taken before commit, so
//! a row may commit after a higher one: the hub publishes only the unbroken run of ids, holding rows past
//! a gap until it fills, or for `GAP_WAIT` at most (an id whose transaction rolled back never comes). A
//! subscriber that resumes from a cursor therefore never skips a row that committed late.

use auth_domain::FeedEntry;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How long a gap in the ids holds back the rows after it.
pub const GAP_WAIT: Duration = Duration::from_secs(2);

pub struct FeedHub {
    state: Mutex<HubState>,
    sender: broadcast::Sender<Arc<Vec<FeedEntry>>>,
    subscribers: Arc<AtomicUsize>,
    max_subscribers: usize,
}

struct HubState {
    /// Every id up to this one has been published (or skipped after `GAP_WAIT`).
    published: i64,
    /// Rows read past a gap, by id (`None`: a row that had expired).
    pending: BTreeMap<i64, Option<FeedEntry>>,
    gap_since: Option<Instant>,
    /// The lowest id still stored, less one: a cursor below it missed pruned rows.
    floor: i64,
}

/// A subscriber's place, given back when its stream ends.
pub struct FeedSlot(Arc<AtomicUsize>);

impl Drop for FeedSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl FeedHub {
    /// A hub that starts after `published` (the highest id stored when the instance starts).
    pub fn new(published: i64, max_subscribers: usize) -> Self {
        // a subscriber more than this many batches behind catches up from the database
        let (sender, _) = broadcast::channel(1024);
        Self {
            state: Mutex::new(HubState { published, pending: BTreeMap::new(), gap_since: None, floor: 0 }),
            sender,
            subscribers: Arc::default(),
            max_subscribers,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn published(&self) -> i64 {
        self.lock().published
    }

    /// The id after which the poller reads: past the rows already held beyond a gap.
    pub fn read_from(&self) -> i64 {
        let state = self.lock();
        state.pending.keys().next_back().copied().unwrap_or(state.published).max(state.published)
    }

    pub fn floor(&self) -> i64 {
        self.lock().floor
    }

    /// Records the lowest id still stored (`None`: the table is empty).
    pub fn set_first_id(&self, first: Option<i64>) {
        let mut state = self.lock();
        state.floor = first.map_or(state.published, |id| id - 1);
    }

    pub fn subscribers(&self) -> usize {
        self.subscribers.load(Ordering::Acquire)
    }

    /// A place for one more subscriber, unless `max_subscribers` hold one.
    pub fn take_slot(&self) -> Option<FeedSlot> {
        let taken = self
            .subscribers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max_subscribers).then_some(n + 1));
        taken.ok().map(|_| FeedSlot(self.subscribers.clone()))
    }

    pub fn listen(&self) -> broadcast::Receiver<Arc<Vec<FeedEntry>>> {
        self.sender.subscribe()
    }

    /// Rows the poller read (each id, with its entry when still live): the unbroken run after the cursor
    /// is published to the subscribers at once; rows past a gap wait for it.
    pub fn absorb(&self, rows: Vec<(i64, Option<FeedEntry>)>, now: Instant) {
        let mut state = self.lock();
        for (id, entry) in rows {
            if id > state.published {
                state.pending.insert(id, entry);
            }
        }
        let mut out = Vec::new();
        loop {
            let next = state.published + 1;
            if let Some(entry) = state.pending.remove(&next) {
                state.published = next;
                state.gap_since = None;
                out.extend(entry);
                continue;
            }
            let Some(&first) = state.pending.keys().next() else {
                state.gap_since = None;
                break;
            };
            // a gap before `first`: wait for it, or give up on it
            match state.gap_since {
                None => {
                    state.gap_since = Some(now);
                    break;
                }
                Some(since) if now.duration_since(since) >= GAP_WAIT => {
                    state.published = first - 1;
                    state.gap_since = None;
                }
                Some(_) => break,
            }
        }
        drop(state);
        if !out.is_empty() {
            // nobody listening is not an error
            let _ = self.sender.send(Arc::new(out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_domain::Revoked;
    use chrono::Utc;

    fn entry(id: i64) -> (i64, Option<FeedEntry>) {
        (id, Some(FeedEntry { id, revoked: Revoked::Session(format!("s{id}")), until: Utc::now() }))
    }

    fn ids(batch: &[FeedEntry]) -> Vec<i64> {
        batch.iter().map(|e| e.id).collect()
    }

    #[test]
    fn only_the_unbroken_run_is_published_and_a_gap_is_waited_for_then_skipped() {
        let hub = FeedHub::new(10, 5);
        let mut rx = hub.listen();
        let t0 = Instant::now();
        hub.absorb(vec![entry(11), entry(12), (13, None), entry(15)], t0);
        assert_eq!(ids(&rx.try_recv().unwrap()), [11, 12], "13 expired, 15 waits for 14");
        assert_eq!((hub.published(), hub.read_from()), (13, 15));
        // 14 commits late: published in order
        hub.absorb(vec![entry(14), entry(15)], t0 + Duration::from_millis(500));
        assert_eq!(ids(&rx.try_recv().unwrap()), [14, 15]);
        // 16 never comes (rolled back): 17 waits GAP_WAIT, then goes out
        hub.absorb(vec![entry(17)], t0 + Duration::from_secs(1));
        assert!(rx.try_recv().is_err());
        hub.absorb(vec![], t0 + Duration::from_secs(2));
        assert!(rx.try_recv().is_err());
        hub.absorb(vec![], t0 + Duration::from_secs(1) + GAP_WAIT);
        assert_eq!(ids(&rx.try_recv().unwrap()), [17]);
        assert_eq!(hub.published(), 17);
        // rows at or below the cursor are not sent again
        hub.absorb(vec![entry(12), entry(17)], t0 + Duration::from_secs(5));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn subscribers_are_bounded_and_give_their_place_back() {
        let hub = FeedHub::new(0, 2);
        let (a, b) = (hub.take_slot().unwrap(), hub.take_slot().unwrap());
        assert!(hub.take_slot().is_none());
        drop(a);
        assert_eq!(hub.subscribers(), 1);
        assert!(hub.take_slot().is_some());
        drop(b);
    }
}
