//! The heart of auth-service: users, passwords, tokens, the use cases and the storage traits they need.
//!
//! This crate knows nothing of HTTP, databases, async runtimes or configuration files: the api crate
//! calls the use cases, the persistence crate implements the storage traits, and the server wires them.
//! The token contract is `auth-token`'s, bcrypt is `auth-bcrypt`'s.

mod account_store;
mod attempt;
mod clock;
mod email;
mod event;
mod feed;
mod issued_session;
mod keys;
mod mail;
mod password;
mod password_hasher;
mod principal;
mod service;
mod session;
mod store;
mod store_error;
mod throttle;
mod token;
mod use_cases;
mod user;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use account_store::{AccountStore, EmailChanged, OutboxStore};
pub use attempt::{Attempt, AttemptError};
pub use auth_token::Refusal;
pub use clock::{Clock, SystemClock};
pub use email::{Email, EmailError};
pub use event::{Event, EventKind, EventQuery, NewEvent};
pub use feed::{FeedEntry, FeedRow, FeedStore, Revoked};
pub use issued_session::IssuedSession;
pub use keys::{KeyEncryptionKey, KeyError, KeyInfo, KeyPolicy, KeyRing, KeySet, KeyState};
pub use mail::{
    ClaimedMail, Delivery, LinkHash, LinkKind, LinkToken, MailCap, MailFailure, MailKind, MailPolicy, MailSealer,
    MailWaker, NewLink, NewMail, OutboxCounts, OutboxRow, OutboxState, Queued, StoredLink,
};
pub use password::{MAX_PASSWORD_CHARS, Password, PasswordError, PasswordPolicy};
pub use password_hasher::{HashError, PasswordHash, PasswordHasher};
pub use principal::{AuthError, Principal};
pub use service::{AuthService, Mail, Passwords, Stores, Tokens};
pub use session::{
    ClientInfo, EndReason, RefreshClaim, RefreshTokenCodec, SessionId, SessionInfo, SessionPolicy, StaleRefresh,
};
pub use store::{
    Cause, ErrorChain, EventStore, InsertUserError, KeyStore, LiveAfter, LogoutScope, NewRevocation, NewSession,
    NewUser, NotReady, Readiness, RevocationStore, RevokeOutcome, RotateOutcome, SessionState, SessionStore,
    StoreError, StoredKey, ThrottleStore, TokenCheck, TokenLookup, UserStore, cause,
};
pub use throttle::{
    Block, Counted, LoginSubject, Reserved, ThrottleKey, ThrottleKind, ThrottleLimit, ThrottlePolicy, Throttled,
    UnparsedText,
};
pub use token::{
    IssueError, IssuedToken, Signer, TokenCodec, TokenConfigError, TokenId, TokenSettings, Unverified, VerifiedToken,
};
pub use use_cases::admin::AdminError;
pub use use_cases::delete_account::{AccountDeletion, DeleteAccountError};
pub use use_cases::email_change::{ChangeEmailError, ConfirmEmailChangeError, EmailChange};
pub use use_cases::events::EventsError;
pub use use_cases::feed::FeedPage;
pub use use_cases::keys::PublishedKeys;
pub use use_cases::login::{LoginAttempt, LoginError};
pub use use_cases::logout::LogoutError;
pub use use_cases::mail::MailError;
pub use use_cases::password_change::{ChangePasswordError, PasswordChange};
pub use use_cases::password_reset::{ForgotPasswordError, PasswordReset, ResetPasswordError};
pub use use_cases::prune::Pruned;
pub use use_cases::refresh::RefreshError;
pub use use_cases::register::{RegisterAttempt, RegisterError, Registered};
pub use use_cases::sessions::{EndSessionError, SessionList};
pub use use_cases::verify_email::{ResendVerificationError, Resent, VerifyEmailError};
pub use user::{User, UserCredentials, UserId};
