//! diesel storage for auth-service. One implementation of the domain's store traits serves both
//! PostgreSQL (production) and embedded SQLite (the zero-setup default) through diesel's
//! `MultiConnection`; the database URL's scheme picks the backend.

mod connection;
mod database_url;
mod error;
mod migrations;
mod outage;
mod pool;
mod rows;
mod schema;
mod sqlite_file;
mod sqlite_readers;
mod store;
mod write_failures;

pub use connection::DbConnection;
pub use database_url::{Backend, DatabaseUrl, DatabaseUrlError};
pub use migrations::{MigrationError, run_migrations};
pub use pool::{DbPool, PoolError, PoolSettings};
pub use store::DieselStore;
