use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::feed_hub::{FeedHub, FeedSlot};
use crate::routes::revocations::{PAGE, cursor};
use crate::wire::FeedEntryBody;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_domain::{AuthService, FeedEntry};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// A comment line goes out this often, so that proxies keep the connection and a subscriber knows the
/// feed is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The revocation feed as Server-Sent Events: the entries after the subscriber's cursor (`Last-Event-ID`,
/// or `?after=`; none: every live entry), then each new one as it is published (`id:` is the cursor,
/// `data:` the entry). A cursor behind what is kept gets `event: reset` first, then everything live. A
/// comment every 15 s. Idle subscribers cost no thread; `revocations.max_subscribers` per instance.
#[utoipa::path(
    get,
    path = "/auth/revocations/stream",
    tag = "keys",
    params(
        ("after" = Option<i64>, Query, minimum = 0, description = "The cursor to resume after, when there is no `Last-Event-ID`"),
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "The last entry's id the subscriber received"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: `id: <cursor>` and `data: {\"id\",\"sid\" or \"jti\",\"until\"}` per entry; `event: reset` when the cursor is behind what is kept; `: heartbeat` every 15 s", content_type = "text/event-stream", body = String),
        (status = 400, description = "`Invalid cursor.`", body = crate::wire::MessageBody),
        (status = 503, description = "`Too many subscribers.`: `revocations.max_subscribers` streams are open on this instance", body = crate::wire::MessageBody),
    )
)]
pub async fn revocations_stream(
    service: web::Data<AuthService>,
    hub: web::Data<FeedHub>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let last_event_id = request.headers().get("last-event-id").map(|v| v.to_str().unwrap_or("x").trim().to_owned());
    let after = match last_event_id {
        Some(id) => cursor(&format!("after={id}"))?,
        None => cursor(request.query_string())?,
    };
    let slot = hub.take_slot().ok_or(ApiError::TooManySubscribers)?;
    // listening starts before the backlog is read, so that nothing published meanwhile is missed
    let live = hub.listen();
    let (sender, receiver) = mpsc::channel::<Bytes>(64);
    actix_web::rt::spawn(feed(service.into_inner(), hub.into_inner(), after, live, sender, slot));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|bytes| (Ok::<_, actix_web::Error>(bytes), receiver))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // nginx: do not buffer the stream
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

fn event(entry: &FeedEntry) -> Bytes {
    let data = serde_json::to_string(&FeedEntryBody::from(entry)).unwrap_or_default();
    Bytes::from(format!("id: {}\ndata: {data}\n\n", entry.id))
}

/// One subscriber, until it goes (its channel closes) or the hub does.
async fn feed(
    service: Arc<AuthService>,
    hub: Arc<FeedHub>,
    mut sent: i64,
    mut live: broadcast::Receiver<Arc<Vec<FeedEntry>>>,
    out: mpsc::Sender<Bytes>,
    _slot: FeedSlot,
) {
    let mut open = out.send(Bytes::from_static(b"retry: 1000\n\n")).await.is_ok();
    if open && sent > 0 && sent < hub.floor() {
        open = out.send(Bytes::from_static(b"event: reset\ndata: {}\n\n")).await.is_ok();
        sent = 0;
    }
    if open {
        open = catch_up(&service, &hub, &mut sent, &out).await;
    }
    let mut heartbeat = actix_web::rt::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    while open {
        tokio::select! {
            batch = live.recv() => match batch {
                Ok(batch) => {
                    for entry in batch.iter() {
                        if entry.id <= sent {
                            continue;
                        }
                        if out.send(event(entry)).await.is_err() {
                            return;
                        }
                        sent = entry.id;
                    }
                }
                // too far behind the channel: read what was missed from the database
                Err(broadcast::error::RecvError::Lagged(_)) => open = catch_up(&service, &hub, &mut sent, &out).await,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = heartbeat.tick() => open = out.send(Bytes::from_static(b": heartbeat\n\n")).await.is_ok(),
        }
    }
}

/// Sends what is published after `sent`, from the database; false once the subscriber has gone.
async fn catch_up(service: &Arc<AuthService>, hub: &FeedHub, sent: &mut i64, out: &mpsc::Sender<Bytes>) -> bool {
    loop {
        let (reader, after, through) = (service.clone(), *sent, hub.published());
        let page = match run_blocking(move || reader.revocations_after(after, through, PAGE)).await {
            Ok(page) => page,
            // the database is away: what is published live still comes; the rest on the next lag
            Err(_) => return true,
        };
        for entry in &page.entries {
            if out.send(event(entry)).await.is_err() {
                return false;
            }
        }
        match page.last {
            Some(last) => *sent = last,
            None => return true,
        }
    }
}
