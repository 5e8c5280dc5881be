use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::feed_hub::FeedHub;
use crate::wire::{FeedEntryBody, FeedPageBody};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_domain::AuthService;

/// Entries one page holds at most.
pub const PAGE: u32 = 1000;

/// The revocation feed, a page at a time: every ended session and revoked token since `after`, in cursor
/// order; `after=0` gives every entry still live. Public, like the JWKS: it holds only random ids.
#[utoipa::path(
    get,
    path = "/auth/revocations",
    tag = "keys",
    params(("after" = Option<i64>, Query, minimum = 0, description = "The cursor to read after (the `next` of the page before); 0 or none: from the start")),
    responses(
        (status = 200, description = "Up to 1,000 entries after the cursor", body = FeedPageBody),
        (status = 400, description = "`Invalid cursor.`", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn revocations(
    service: web::Data<AuthService>,
    hub: web::Data<FeedHub>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let after = cursor(request.query_string())?;
    let through = hub.published();
    let service = service.into_inner();
    let page = run_blocking(move || service.revocations_after(after, through, PAGE)).await?;
    let body = FeedPageBody {
        entries: page.entries.iter().map(FeedEntryBody::from).collect(),
        next: page.last.unwrap_or(after),
    };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body))
}

/// `after=N` (a non-negative integer), or 0 when absent; anything else is refused.
pub(crate) fn cursor(query: &str) -> Result<i64, ApiError> {
    let invalid = || ApiError::BadRequest("Invalid cursor.".to_owned());
    let mut after = None;
    for (key, value) in url_pairs(query) {
        match key {
            "after" if after.is_none() => {
                after = Some(value.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(invalid)?)
            }
            "after" => return Err(invalid()),
            _ => {}
        }
    }
    Ok(after.unwrap_or(0))
}

fn url_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}
