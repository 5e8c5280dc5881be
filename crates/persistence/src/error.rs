use auth_domain::StoreError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A statement that failed (including a lost connection or a statement timeout).
pub fn query_failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Query(e.to_string())
}

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

pub fn is_foreign_key_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _))
}

pub fn checkout(e: r2d2::Error) -> StoreError {
    StoreError::Unavailable(format!("no database connection: {e}"))
}
