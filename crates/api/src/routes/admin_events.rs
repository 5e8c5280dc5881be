use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::wire::{EventView, EventsBody, EventsData};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_domain::{AuthService, Email, EventQuery};
use chrono::SecondsFormat;

/// `?email=` (normalized as at login) and `?limit=` (1 to 1000, default 100); nothing else.
fn query(request: &HttpRequest) -> Result<EventQuery, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(request.query_string())
        .map_err(|_| ApiError::BadRequest("Invalid query string.".to_owned()))?;
    let mut query = EventQuery { email: None, since: None, limit: EventQuery::DEFAULT_LIMIT };
    for (key, value) in pairs {
        match key.as_str() {
            "email" => {
                let email = Email::parse(&value).map_err(|e| ApiError::BadRequest(e.to_string()))?;
                query.email = Some(email.as_str().to_owned());
            }
            "limit" => {
                query.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=EventQuery::MAX_LIMIT).contains(n))
                    .ok_or_else(|| ApiError::BadRequest("Invalid limit.".to_owned()))?;
            }
            _ => {}
        }
    }
    Ok(query)
}

/// Security events, newest first, for an administrator (the `admin` flag, set with `user set-admin`).
#[utoipa::path(
    get,
    path = "/admin/events",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("email" = Option<String>, Query, description = "Only events of this email (as recorded, or of the user who has it now); an address register would accept, else 400", format = Email, min_length = 3),
        ("limit" = Option<u32>, Query, description = "At most this many (1 to 1000, default 100)", minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "The events", body = EventsBody),
        (status = 400, description = "`Invalid email address.` or `Invalid limit.`", body = crate::wire::MessageBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "`Admin rights required.`", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn events(
    service: web::Data<AuthService>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let query = query(&request)?;
    let service = service.into_inner();
    let events = run_blocking(move || service.events_for(&caller.into_inner(), &query)).await?;
    let events = events
        .into_iter()
        .map(|e| EventView {
            at: e.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            kind: e.kind,
            user_id: e.user_id.map(|id| id.0),
            email: e.email,
            ip: e.ip,
            user_agent: e.user_agent,
            session_id: e.session_id,
            count: e.count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(EventsBody { status: "success", data: EventsData { events } }))
}
