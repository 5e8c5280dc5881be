use auth_domain::StoreError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use std::sync::Arc;

/// A statement that failed (including a lost connection or a statement timeout).
pub fn query_failed(e: DieselError) -> StoreError {
    StoreError::Query(Arc::new(e))
}

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

pub fn is_foreign_key_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _))
}

/// No connection within the acquire timeout; r2d2's error carries the last connection error.
pub fn checkout(e: r2d2::Error) -> StoreError {
    StoreError::Unavailable(Arc::new(e))
}
