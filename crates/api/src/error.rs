use crate::wire::MessageBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{StatusCode, header::ContentType};
use actix_web::{HttpResponse, ResponseError};
use auth_domain::{
    ChangePasswordError, EndSessionError, EventsError, LoginError, LogoutError, RefreshError, RegisterError,
    StatusError, StoreError, TokenError,
};

/// Every failure the API reports. Each maps to one status and one `{"status":"fail","message":...}` body;
/// messages are fixed strings, so no input, secret or internal detail reaches a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Content-Type must be application/json.")]
    UnsupportedMediaType,
    #[error("Request body is too large (at most {} bytes).", crate::extract::MAX_BODY_BYTES)]
    PayloadTooLarge,
    #[error("User already exists. Please Log in.")]
    UserExists,
    #[error("User does not exist.")]
    UserDoesNotExist,
    #[error("Provide a valid auth token.")]
    MissingToken { status: StatusCode },
    #[error("Bearer token malformed.")]
    MalformedBearer,
    #[error("Signature expired. Please log in again.")]
    TokenExpired,
    #[error("Invalid token. Please log in again.")]
    TokenInvalid,
    #[error("Token blacklisted. Please log in again.")]
    TokenRevoked,
    #[error("Invalid refresh token. Please log in again.")]
    RefreshTokenInvalid,
    #[error("Session not found.")]
    SessionNotFound,
    #[error("Invalid scope.")]
    InvalidScope,
    #[error("Current password is incorrect.")]
    WrongCurrentPassword,
    #[error("Admin rights required.")]
    AdminRequired,
    #[error("Not found.")]
    NotFound,
    #[error("Method not allowed.")]
    MethodNotAllowed,
    #[error("Request body was not received in time.")]
    RequestTimeout,
    /// The client closed the connection before its request was served; nobody reads this answer.
    #[error("Client closed the connection.")]
    ClientGone,
    #[error("Service temporarily unavailable. Please try again.")]
    Unavailable,
    /// Past an attempt limit (`abuse.*`); the client may try again after this many seconds.
    #[error("Too many attempts. Please try again later.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The database failed: 503 (500 for data the domain cannot accept). The cause stays the error's
    /// `source()`, logged once where the request ends, never sent.
    #[error("{}", store_message(.0))]
    Store(#[source] StoreError),
    #[error("Internal server error.")]
    Internal,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            // The Flask service answered a duplicate registration with 202; clients depend on it.
            Self::UserExists => StatusCode::ACCEPTED,
            Self::UserDoesNotExist | Self::NotFound | Self::SessionNotFound => StatusCode::NOT_FOUND,
            Self::InvalidScope => StatusCode::BAD_REQUEST,
            Self::WrongCurrentPassword | Self::AdminRequired => StatusCode::FORBIDDEN,
            Self::RefreshTokenInvalid => StatusCode::UNAUTHORIZED,
            Self::MissingToken { status } => *status,
            Self::MalformedBearer | Self::TokenExpired | Self::TokenInvalid | Self::TokenRevoked => {
                StatusCode::UNAUTHORIZED
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            // nginx's "client closed request": it appears only in logs and metrics.
            Self::ClientGone => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(StoreError::Corrupt(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = self.to_string();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header(ContentType::json());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: a 401 names the scheme; a token that was presented but refused is "invalid_token".
            let challenge = match self {
                Self::MissingToken { .. } => "Bearer",
                // a refresh token is not a bearer credential; the challenge still names the scheme
                Self::RefreshTokenInvalid => r#"Bearer error="invalid_grant""#,
                Self::MalformedBearer => r#"Bearer error="invalid_request""#,
                _ => r#"Bearer error="invalid_token""#,
            };
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge)));
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        if let Self::TooManyAttempts { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if *self == Self::RequestTimeout {
            // The rest of the body may still be on its way: this connection cannot carry another request.
            response.insert_header((header::CONNECTION, HeaderValue::from_static("close")));
        }
        response.json(MessageBody::fail(&message))
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Expired => Self::TokenExpired,
            TokenError::Invalid => Self::TokenInvalid,
            TokenError::IssueFailed => internal(&e),
            TokenError::KeysUnavailable => Self::Unavailable,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

fn store_message(e: &StoreError) -> &'static str {
    match e {
        StoreError::Corrupt(_) => "Internal server error.",
        StoreError::Unavailable(_) | StoreError::Query(_) => "Service temporarily unavailable. Please try again.",
    }
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::InvalidEmail(e) => Self::BadRequest(e.to_string()),
            RegisterError::InvalidPassword(e) => Self::BadRequest(e.to_string()),
            RegisterError::AlreadyExists => Self::UserExists,
            RegisterError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            RegisterError::Store(e) => e.into(),
            RegisterError::Hash(e) => internal(&e),
            RegisterError::Token(e) => internal(&e),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => Self::UserDoesNotExist,
            LoginError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            LoginError::Store(e) => e.into(),
            LoginError::Token(e) => internal(&e),
            LoginError::Hash(e) => internal(&e),
        }
    }
}

impl From<StatusError> for ApiError {
    fn from(e: StatusError) -> Self {
        match e {
            StatusError::Token(e) => e.into(),
            StatusError::Revoked => Self::TokenRevoked,
            StatusError::Store(e) => e.into(),
        }
    }
}

impl From<LogoutError> for ApiError {
    fn from(e: LogoutError) -> Self {
        match e {
            LogoutError::Token(e) => e.into(),
            LogoutError::Revoked => Self::TokenRevoked,
            LogoutError::Store(e) => e.into(),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Invalid | RefreshError::Reused => Self::RefreshTokenInvalid,
            RefreshError::Store(e) => e.into(),
            RefreshError::Token(e) => internal(&e),
        }
    }
}

impl From<EndSessionError> for ApiError {
    fn from(e: EndSessionError) -> Self {
        match e {
            EndSessionError::Auth(e) => e.into(),
            EndSessionError::NotFound => Self::SessionNotFound,
            EndSessionError::Store(e) => e.into(),
        }
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            ChangePasswordError::Auth(e) => e.into(),
            ChangePasswordError::WrongPassword => Self::WrongCurrentPassword,
            ChangePasswordError::InvalidPassword(e) => Self::BadRequest(e.to_string()),
            ChangePasswordError::Store(e) => e.into(),
            ChangePasswordError::Hash(e) => internal(&e),
        }
    }
}

fn internal(e: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %e, "internal error");
    ApiError::Internal
}

impl From<EventsError> for ApiError {
    fn from(e: EventsError) -> Self {
        match e {
            EventsError::Auth(e) => e.into(),
            EventsError::NotAdmin => Self::AdminRequired,
            EventsError::Store(e) => e.into(),
        }
    }
}
