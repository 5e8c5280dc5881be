//! Reads the signing keys while the service runs: on the ring's schedule (`tokens.key_refresh_secs`;
//! once a second while no key could be read) and as soon as a token names a key this instance has not
//! read (at most once per refresh). Rotation, when due, happens in the same read. This is the only place
//! keys are read while serving: signing and verifying use what it last read, never waiting for the
//! database.

use auth_api::{ApiError, run_blocking};
use auth_domain::{Clock, KeyRing};
use std::sync::Arc;
use std::time::Duration;

pub fn spawn(ring: Arc<KeyRing>, clock: Arc<dyn Clock>) -> actix_web::rt::task::JoinHandle<()> {
    let wake = Arc::new(tokio::sync::Notify::new());
    let waker = wake.clone();
    ring.on_read_wanted(move || waker.notify_one());
    actix_web::rt::spawn(async move {
        loop {
            let wait = ring.next_read().map_or(Duration::ZERO, |at| (at - clock.now()).to_std().unwrap_or_default());
            if !wait.is_zero() {
                tokio::select! {
                    () = actix_web::rt::time::sleep(wait) => {}
                    () = wake.notified() => {}
                }
            }
            let (reader, now) = (ring.clone(), clock.now());
            match run_blocking(move || Ok::<_, ApiError>(reader.refresh(now))).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "signing keys could not be read; the loaded ones stay in use"),
                Err(e) => tracing::error!(error = %e, "the signing keys' read failed"),
            }
        }
    })
}
