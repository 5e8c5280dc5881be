use crate::wire::MessageBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{StatusCode, header::ContentType};
use actix_web::{HttpResponse, ResponseError};
use auth_domain::{
    AuthError, ChangeEmailError, ChangePasswordError, ConfirmEmailChangeError, DeleteAccountError, EndSessionError,
    EventsError, ForgotPasswordError, IssueError, LoginError, LogoutError, MailError, RefreshError, Refusal,
    RegisterError, ResendVerificationError, ResetPasswordError, StoreError, VerifyEmailError,
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
    /// No token where one is needed. The seed's contract answers 401, but 403 on logout.
    #[error("Provide a valid auth token.")]
    MissingToken { status: StatusCode },
    /// A bearer token refused, for the token contract's reason and with its message.
    #[error("{}", .0.message())]
    Token(Refusal),
    #[error("Invalid refresh token. Please log in again.")]
    RefreshTokenInvalid,
    #[error("Session not found.")]
    SessionNotFound,
    #[error("Invalid scope.")]
    InvalidScope,
    #[error("Current password is incorrect.")]
    WrongCurrentPassword,
    /// `email.transport = "none"`: what needs an email cannot be done.
    #[error("Email is not configured.")]
    EmailNotConfigured,
    /// A link's token that is unknown, used, voided or expired (or no token at all).
    #[error("Invalid or expired link.")]
    InvalidLink,
    /// `email.require_verification` and an unverified address (told after the password check).
    #[error("Email not verified.")]
    EmailNotVerified,
    /// `revocations.max_subscribers` streams are open on this instance.
    #[error("Too many subscribers.")]
    TooManySubscribers,
    /// An email change confirmed for an address another account took meanwhile.
    #[error("That address is already registered.")]
    AddressTaken,
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
            Self::WrongCurrentPassword | Self::AdminRequired | Self::EmailNotVerified => StatusCode::FORBIDDEN,
            Self::InvalidLink => StatusCode::BAD_REQUEST,
            Self::AddressTaken => StatusCode::CONFLICT,
            Self::EmailNotConfigured | Self::TooManySubscribers => StatusCode::SERVICE_UNAVAILABLE,
            Self::RefreshTokenInvalid => StatusCode::UNAUTHORIZED,
            Self::MissingToken { status } => *status,
            Self::Token(refusal) => StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED),
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
                Self::Token(refusal) => refusal.challenge().unwrap_or("Bearer"),
                _ => r#"Bearer error="invalid_token""#,
            };
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge)));
        }
        // a retry helps a database that is down, not a service without email
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE && *self != Self::EmailNotConfigured {
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

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Missing => Self::MissingToken { status: StatusCode::UNAUTHORIZED },
            Refusal::KeysUnavailable => Self::Unavailable,
            refusal => Self::Token(refusal),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Refused(refusal) => refusal.into(),
            // still not read after the wait: not a key of ours
            AuthError::UnreadKey => Self::Token(Refusal::Invalid),
            AuthError::Store(e) => e.into(),
        }
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::Failed => internal(&e),
            IssueError::KeysUnavailable => Self::Unavailable,
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
            RegisterError::Token(e) => e.into(),
            RegisterError::Mail(e) => e.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => Self::UserDoesNotExist,
            LoginError::NotVerified => Self::EmailNotVerified,
            LoginError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            LoginError::Store(e) => e.into(),
            LoginError::Token(e) => e.into(),
            LoginError::Hash(e) => internal(&e),
        }
    }
}

impl From<LogoutError> for ApiError {
    fn from(e: LogoutError) -> Self {
        match e {
            LogoutError::Revoked => Self::Token(Refusal::Revoked),
            LogoutError::Gone => Self::Token(Refusal::Invalid),
            LogoutError::Store(e) => e.into(),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Invalid | RefreshError::Reused => Self::RefreshTokenInvalid,
            RefreshError::Store(e) => e.into(),
            RefreshError::Token(e) => e.into(),
        }
    }
}

impl From<EndSessionError> for ApiError {
    fn from(e: EndSessionError) -> Self {
        match e {
            EndSessionError::NotFound => Self::SessionNotFound,
            EndSessionError::Store(e) => e.into(),
        }
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            ChangePasswordError::WrongPassword => Self::WrongCurrentPassword,
            ChangePasswordError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            ChangePasswordError::Gone => Self::Token(Refusal::Invalid),
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
            EventsError::NotAdmin => Self::AdminRequired,
            EventsError::Store(e) => e.into(),
        }
    }
}

impl From<MailError> for ApiError {
    fn from(e: MailError) -> Self {
        match e {
            MailError::NotConfigured => Self::EmailNotConfigured,
            MailError::Random => internal(&e),
        }
    }
}

impl From<VerifyEmailError> for ApiError {
    fn from(e: VerifyEmailError) -> Self {
        match e {
            VerifyEmailError::InvalidLink => Self::InvalidLink,
            VerifyEmailError::Store(e) => e.into(),
        }
    }
}

impl From<ResendVerificationError> for ApiError {
    fn from(e: ResendVerificationError) -> Self {
        match e {
            ResendVerificationError::Mail(e) => e.into(),
            ResendVerificationError::Store(e) => e.into(),
        }
    }
}

impl From<ForgotPasswordError> for ApiError {
    fn from(e: ForgotPasswordError) -> Self {
        match e {
            ForgotPasswordError::Mail(e) => e.into(),
            ForgotPasswordError::InvalidEmail(e) => Self::BadRequest(e.to_string()),
            ForgotPasswordError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            ForgotPasswordError::Store(e) => e.into(),
        }
    }
}

impl From<ResetPasswordError> for ApiError {
    fn from(e: ResetPasswordError) -> Self {
        match e {
            ResetPasswordError::InvalidLink => Self::InvalidLink,
            ResetPasswordError::InvalidPassword(e) => Self::BadRequest(e.to_string()),
            ResetPasswordError::Mail(e) => e.into(),
            ResetPasswordError::Store(e) => e.into(),
            ResetPasswordError::Hash(e) => internal(&e),
        }
    }
}

impl From<ChangeEmailError> for ApiError {
    fn from(e: ChangeEmailError) -> Self {
        match e {
            ChangeEmailError::Mail(e) => e.into(),
            ChangeEmailError::InvalidEmail(e) => Self::BadRequest(e.to_string()),
            ChangeEmailError::WrongPassword => Self::WrongCurrentPassword,
            ChangeEmailError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            ChangeEmailError::Gone => Self::Token(Refusal::Invalid),
            ChangeEmailError::Store(e) => e.into(),
        }
    }
}

impl From<ConfirmEmailChangeError> for ApiError {
    fn from(e: ConfirmEmailChangeError) -> Self {
        match e {
            ConfirmEmailChangeError::InvalidLink => Self::InvalidLink,
            ConfirmEmailChangeError::Taken => Self::AddressTaken,
            ConfirmEmailChangeError::Store(e) => e.into(),
        }
    }
}

impl From<DeleteAccountError> for ApiError {
    fn from(e: DeleteAccountError) -> Self {
        match e {
            DeleteAccountError::WrongPassword => Self::WrongCurrentPassword,
            DeleteAccountError::Throttled(t) => Self::TooManyAttempts { retry_after_secs: t.retry_after_secs },
            DeleteAccountError::Gone => Self::Token(Refusal::Invalid),
            DeleteAccountError::Store(e) => e.into(),
        }
    }
}
