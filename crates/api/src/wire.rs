//! The JSON bodies the API reads and writes that more than one route (or the OpenAPI document) names.

use serde::Serialize;

/// `{"status": "fail" | "success", "message": ...}`: every error, and the answers that carry only a message.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MessageBody<'a> {
    #[schema(pattern = "^(success|fail)$")]
    pub status: &'static str,
    pub message: &'a str,
}

impl<'a> MessageBody<'a> {
    pub fn success(message: &'a str) -> Self {
        Self { status: "success", message }
    }

    pub fn fail(message: &'a str) -> Self {
        Self { status: "fail", message }
    }
}

/// A successful registration, login or refresh: the seed's three fields, then the session's.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenBody<'a> {
    #[schema(pattern = "^success$")]
    pub status: &'static str,
    pub message: &'static str,
    /// The access token (a JWT): `Authorization: Bearer <auth_token>`
    pub auth_token: &'a str,
    /// Opaque; exchange it at `POST /auth/refresh` for new tokens. Each is good for one use.
    pub refresh_token: &'a str,
    /// The access token's lifetime in seconds
    pub expires_in: u64,
    #[schema(pattern = "^Bearer$")]
    pub token_type: &'static str,
}

impl<'a> TokenBody<'a> {
    pub fn new(message: &'static str, issued: &'a auth_domain::IssuedSession) -> Self {
        use secrecy::ExposeSecret;
        Self {
            status: "success",
            message,
            auth_token: issued.access.token.expose_secret(),
            refresh_token: issued.refresh.expose_secret(),
            expires_in: issued.expires_in,
            token_type: "Bearer",
        }
    }
}

/// The caller's live sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionsBody {
    #[schema(pattern = "^success$")]
    pub status: &'static str,
    pub data: SessionsData,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionsData {
    /// Newest first
    pub sessions: Vec<SessionView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionView {
    #[schema(pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub id: String,
    /// RFC 3339, UTC
    #[schema(format = DateTime)]
    pub created_on: String,
    /// RFC 3339, UTC: the session's start or latest refresh
    #[schema(format = DateTime)]
    pub last_active_on: String,
    /// As the client sent it, at most 256 characters; null when none
    pub user_agent: Option<String>,
    /// The client's address; null when unknown
    pub ip: Option<String>,
    /// Whether the presented token belongs to this session
    pub current: bool,
}

/// Security events, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventsBody {
    #[schema(pattern = "^success$")]
    pub status: &'static str,
    pub data: EventsData,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventsData {
    /// Newest first
    pub events: Vec<EventView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventView {
    /// RFC 3339, UTC (for an aggregated event, its latest occurrence)
    #[schema(format = DateTime)]
    pub at: String,
    /// register, login_succeeded, login_failed, login_throttled, refresh, refresh_reuse_detected, logout,
    /// session_ended, password_changed, user_deleted, key_rotated
    pub kind: String,
    /// null when unknown (a failed login for an unknown email)
    pub user_id: Option<i64>,
    /// the email concerned, or the user's today; null when unknown
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub session_id: Option<String>,
    /// How many occurrences this row stands for (above 1 only for login_throttled)
    #[schema(minimum = 1)]
    pub count: u64,
}

/// One entry of the revocation feed: what it revokes (a session or a token, by its random id) and when
/// the last token it concerns expires (unix seconds; the entry is dropped then).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct FeedEntryBody {
    /// The cursor: resume after it (`?after=`, `Last-Event-ID`)
    pub id: i64,
    /// A session: every token with this `sid` claim is revoked
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// A token: the token with this `jti` claim is revoked
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub until: i64,
}

impl From<&auth_domain::FeedEntry> for FeedEntryBody {
    fn from(entry: &auth_domain::FeedEntry) -> Self {
        let (sid, jti) = match &entry.revoked {
            auth_domain::Revoked::Session(sid) => (Some(sid.clone()), None),
            auth_domain::Revoked::Token(jti) => (None, Some(jti.clone())),
        };
        Self { id: entry.id, sid, jti, until: entry.until.timestamp() }
    }
}

/// A page of the revocation feed.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct FeedPageBody {
    pub entries: Vec<FeedEntryBody>,
    /// The cursor to ask for next (`?after=`)
    pub next: i64,
}
