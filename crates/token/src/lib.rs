//! The token contract of auth-service, in one place: what an access token carries (`Claims`), which
//! headers and algorithms are accepted (`Algorithm`, `Verification`), how it is presented
//! (`parse_authorization`), why it is refused and what the client is told (`Refusal`), and how the
//! public keys travel (`jwks`). The service, its HTTP layer and the `auth-verify` crate that downstream
//! services use all read tokens through this crate, so they cannot disagree about one.
//!
//! No web, database or runtime framework: only the JWT library and serde.

mod authorization;
mod claims;
pub mod jwks;
mod refusal;
mod verification;

pub use authorization::{AuthorizationError, parse_authorization};
pub use claims::{Claims, VerifiedClaims, canonical_user_id, canonical_uuid};
pub use refusal::Refusal;
pub use verification::{Algorithm, MAX_TOKEN_BYTES, Verification};
