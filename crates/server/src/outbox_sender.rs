//! Sends what the outbox holds while the service runs: at once when a row is queued here (a wake-up),
//! when a retry falls due, and every few seconds for rows other instances queued or left behind (a lease
//! that ran out). A request never waits for the mail server: it only writes its row.

use auth_api::{ApiError, run_blocking};
use auth_domain::{AuthService, Clock, Delivery, MailFailure};
use auth_mail::Mailer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often rows are looked for without a wake-up (`auth-server outbox retry` says so).
const POLL: Duration = Duration::from_secs(crate::cli::OUTBOX_POLL_SECS);
/// Rows claimed at once: sent one after another within their lease.
const BATCH: u32 = 16;

pub fn spawn(
    service: Arc<AuthService>,
    mailer: Arc<Mailer>,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut next_retry: Option<chrono::DateTime<chrono::Utc>> = None;
        loop {
            while let Some(deliveries) = claim(&service).await {
                for delivery in deliveries {
                    if let Some(MailFailure::RetryAt(at)) = send(&service, &mailer, delivery).await {
                        next_retry = Some(next_retry.map_or(at, |t| t.min(at)));
                    }
                }
            }
            record_depth(&service).await;
            // a retry further off than the poll is found by a later poll
            let wait = next_retry.take().map_or(POLL, |at| (at - clock.now()).to_std().unwrap_or_default().min(POLL));
            tokio::select! {
                () = actix_web::rt::time::sleep(wait) => {}
                () = wake.notified() => {}
            }
        }
    })
}

/// The next due rows; `None` when there are none (or the database cannot be reached: the next poll
/// tries again).
async fn claim(service: &Arc<AuthService>) -> Option<Vec<Delivery>> {
    let claimer = service.clone();
    match run_blocking(move || claimer.claim_mail(BATCH)).await {
        Ok(deliveries) if deliveries.is_empty() => None,
        Ok(deliveries) => Some(deliveries),
        Err(e) => {
            tracing::warn!(error = %e, "the outbox could not be read; will retry");
            None
        }
    }
}

/// Sends one email and records how it went; a failure's retry time.
async fn send(service: &Arc<AuthService>, mailer: &Mailer, delivery: Delivery) -> Option<MailFailure> {
    let span = tracing::info_span!("outbox_send", outbox.id = delivery.id, kind = delivery.kind.as_str());
    let _entered = span.enter();
    let sent = mailer.send(&delivery).await;
    let service = service.clone();
    match sent {
        Ok(()) => {
            metrics::counter!("auth_outbox_sent_total").increment(1);
            tracing::info!(attempt = delivery.attempt, "email sent");
            if let Err(e) = run_blocking(move || service.mail_sent(&delivery)).await {
                // sent, but not marked: its lease runs out and it is sent again (at least once)
                tracing::error!(error = %e, "an email was sent but could not be marked sent");
            }
            None
        }
        Err(e) => {
            metrics::counter!("auth_outbox_failed_total").increment(1);
            tracing::warn!(attempt = delivery.attempt, error = %e, permanent = e.permanent, "email not sent");
            let recorded = run_blocking(move || service.mail_failed(&delivery, &e.message, e.permanent)).await;
            match recorded {
                Ok(MailFailure::GaveUp) => {
                    metrics::counter!("auth_outbox_dead_total").increment(1);
                    Some(MailFailure::GaveUp)
                }
                Ok(retry) => Some(retry),
                Err(e) => {
                    tracing::error!(error = %e, "a failed email could not be recorded; its lease runs out");
                    None
                }
            }
        }
    }
}

async fn record_depth(service: &Arc<AuthService>) {
    let reader = service.clone();
    if let Ok(Ok(counts)) = run_blocking(move || Ok::<_, ApiError>(reader.outbox_counts())).await {
        metrics::gauge!("auth_outbox_queued").set(counts.queued as f64);
        metrics::gauge!("auth_outbox_dead").set(counts.dead as f64);
    }
}
