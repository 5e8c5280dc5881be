//! Publishes the revocation feed on this instance: reads the rows written since the last read (by any
//! instance: they share the database) every `revocations.poll_interval_ms`, and hands them to the hub,
//! which sends them to this instance's subscribers. A poll is one indexed query that finds nothing
//! most of the time (docs/BENCHMARKS.md measures its cost and the propagation time).

use auth_api::{ApiError, FeedHub, run_blocking};
use auth_domain::AuthService;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows read at once; a full read is followed by another at once.
const BATCH: u32 = 1000;
/// The lowest stored cursor (for subscribers that fell behind it) is read every this many polls.
const FLOOR_EVERY_POLLS: u32 = 25;

pub fn spawn(service: Arc<AuthService>, hub: Arc<FeedHub>, interval: Duration) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut floor_read: Option<Instant> = None;
        let mut failing = false;
        loop {
            ticks.tick().await;
            loop {
                let (reader, after) = (service.clone(), hub.read_from());
                match run_blocking(move || reader.feed_rows_after(after, BATCH)).await {
                    Ok(rows) => {
                        if failing {
                            tracing::info!("the revocation feed is read again");
                            failing = false;
                        }
                        let full = rows.len() == BATCH as usize;
                        hub.absorb(rows, Instant::now());
                        if !full {
                            break;
                        }
                    }
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "the revocation feed cannot be read; will retry");
                            failing = true;
                        }
                        break;
                    }
                }
            }
            if floor_read.is_none_or(|at| at.elapsed() >= interval * FLOOR_EVERY_POLLS) {
                let reader = service.clone();
                if let Ok(Ok(first)) = run_blocking(move || Ok::<_, ApiError>(reader.feed_first_id())).await {
                    hub.set_first_id(first);
                    floor_read = Some(Instant::now());
                }
            }
            metrics::gauge!("auth_feed_subscribers").set(hub.subscribers() as f64);
            metrics::gauge!("auth_feed_cursor").set(hub.published() as f64);
        }
    })
}
