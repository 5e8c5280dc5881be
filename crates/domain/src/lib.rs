//! The heart of auth-service: users, passwords, tokens, the use cases and the storage traits they need.
//!
//! This crate knows nothing of HTTP, databases, async runtimes or configuration files: the api crate
//! calls the use cases, the persistence crate implements the storage traits, and the server wires them.

mod bcrypt_engine;
mod clock;
mod eksblowfish;
mod email;
mod event;
mod issued_session;
mod password;
mod password_hasher;
mod service;
mod session;
mod signing_keys;
mod store;
mod store_error;
mod throttle;
mod token;
mod use_cases;
mod user;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use bcrypt_engine::BcryptEngine;
pub use clock::{Clock, SystemClock};
pub use email::{Email, EmailError};
pub use event::{Event, EventKind, EventQuery, NewEvent};
pub use issued_session::IssuedSession;
pub use password::{MAX_PASSWORD_CHARS, Password, PasswordError, PasswordPolicy};
pub use password_hasher::{HashError, PasswordHash, PasswordHasher};
pub use service::{AuthService, Passwords, Stores, Tokens};
pub use session::{
    ClientInfo, EndReason, RefreshClaim, RefreshTokenCodec, SessionId, SessionInfo, SessionPolicy, StaleRefresh,
};
pub use signing_keys::{KeyEncryptionKey, KeyError, KeyInfo, KeyPolicy, KeyRing, KeyState, KeyStore, StoredKey};
pub use store::{
    Cause, ErrorChain, EventStore, InsertUserError, LogoutScope, NewRevocation, NewSession, NewUser, NotReady,
    Readiness, RevocationStore, RevokeOutcome, RotateOutcome, SessionState, SessionStore, StoreError, ThrottleStore,
    TokenCheck, TokenLookup, UserStore, cause,
};
pub use throttle::{
    Block, Counted, ThrottleKey, ThrottleKind, ThrottleLimit, ThrottlePolicy, ThrottleState, Throttled,
};
pub use token::{IssuedToken, TokenCodec, TokenConfigError, TokenError, TokenId, TokenSettings, VerifiedToken};
pub use use_cases::admin::AdminError;
pub use use_cases::events::EventsError;
pub use use_cases::keys::PublishedKeys;
pub use use_cases::login::LoginError;
pub use use_cases::logout::LogoutError;
pub use use_cases::password_change::ChangePasswordError;
pub use use_cases::prune::Pruned;
pub use use_cases::refresh::RefreshError;
pub use use_cases::register::{RegisterError, Registered};
pub use use_cases::sessions::{EndSessionError, SessionList};
pub use use_cases::status::StatusError;
pub use user::{User, UserCredentials, UserId};
