//! How storage fails, apart from the storage traits so that any module may name it.

use std::sync::Arc;

/// What the storage layer said went wrong, kept as the error's `source()` for the log; it never
/// reaches a client.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// A cause that is only a message.
pub fn cause(message: impl Into<String>) -> Cause {
    Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(message.into()))
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had (the database is down or every connection is busy): worth retrying
    /// later. The storage layer logs the cause once per outage, so callers need not.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    /// A statement failed or timed out on a connection that was working.
    #[error("database query failed")]
    Query(#[source] Cause),
    /// The database answered with something the domain cannot accept (a bug or a hand-edited row).
    #[error("unexpected data in the database: {0}")]
    Corrupt(String),
}

/// Equal when of the same kind for the same reason (as the causes print).
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Unavailable(a), Self::Unavailable(b)) | (Self::Query(a), Self::Query(b)) => {
                a.to_string() == b.to_string()
            }
            (Self::Corrupt(a), Self::Corrupt(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for StoreError {}

/// An error with its causes, `outer: inner: innermost`, for one log field.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
