//! A fresh, empty database per test, on either backend, plus read-back helpers so tests can assert
//! what is stored.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (`make test` provides it). Each test gets its own schema
//! on that database (selected through the URL's `options=-csearch_path=...`), dropped when the test
//! ends. SQLite tests get a file in a temporary directory.

mod proxy;
mod smtp;

pub use proxy::TcpProxy;
pub use smtp::{Mailbox, ReceivedMail, SmtpServer};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
use std::path::PathBuf;

/// The backends, as the persistence crate names them.
pub use auth_persistence::Backend;

pub struct TestDatabase {
    backend: Backend,
    url: String,
    sqlite_dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredUser {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub password: String,
    #[diesel(sql_type = Timestamp)]
    pub registered_on: NaiveDateTime,
    #[diesel(sql_type = Bool)]
    pub admin: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub email_verified_at: Option<NaiveDateTime>,
}

/// A link row (`email_tokens`).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredLink {
    #[diesel(sql_type = Text)]
    pub token_hash: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub user_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub expires_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub used_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub voided_at: Option<NaiveDateTime>,
}

/// An outbox row (`outbox`).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredMail {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub user_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub sealed_link: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub detail: Option<String>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = BigInt)]
    pub attempts: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub sent_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub last_error: Option<String>,
}

/// A signing key row (`signing_keys`).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredSigningKey {
    #[diesel(sql_type = Text)]
    pub kid: String,
    #[diesel(sql_type = Text)]
    pub previous_kid: String,
    #[diesel(sql_type = Timestamp)]
    pub signs_from: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub public_key: String,
    #[diesel(sql_type = Text)]
    pub sealed_private_key: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub revoked_at: Option<NaiveDateTime>,
}

/// An attempt counter row (`attempt_counters`).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredCounter {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Timestamp)]
    pub window_started_at: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    pub attempts: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub blocked_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredRevocation {
    #[diesel(sql_type = Text)]
    pub jti: String,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Timestamp)]
    pub revoked_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct StoredSession {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = BigInt)]
    pub generation: i64,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub last_active_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    pub ended_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub end_reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub user_agent: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub ip: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub tokens_revoked: bool,
}

impl StoredSession {
    pub fn live(&self) -> bool {
        self.ended_at.is_none()
    }
}

/// The PostgreSQL server the tests use; never silently skipped.
pub fn postgres_base_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_DATABASE_URL is not set, so the PostgreSQL tests cannot run. Run the tests with `make test`, \
             which finds or starts a PostgreSQL server, or set TEST_DATABASE_URL=postgres://user@host:port/db"
        )
    })
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("auth.db").display());
        Self { backend: Backend::Sqlite, url, sqlite_dir: Some(dir), pg_schema: None }
    }

    /// The SQLite database in `path`, which the caller owns (to read back what a process stored there).
    pub fn sqlite_at(path: &std::path::Path) -> Self {
        Self {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", path.display()),
            sqlite_dir: None,
            pg_schema: None,
        }
    }

    pub fn postgres() -> Self {
        let base = postgres_base_url();
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&base)
            .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL ({}): {e}", redact(&base)));
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create the test schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        Self { backend: Backend::Postgres, url, sqlite_dir: None, pg_schema: Some((base, schema)) }
    }

    /// The PostgreSQL server's address, for a [`TcpProxy`] to forward to.
    pub fn postgres_address(&self) -> std::net::SocketAddr {
        use std::net::ToSocketAddrs;
        let (_, host_port) = split_authority(&self.url);
        let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
        host_port.to_socket_addrs().ok().and_then(|mut a| a.next()).expect("resolve the PostgreSQL address")
    }

    /// This database's URL with the server replaced by `127.0.0.1:port` (a proxy in front of it).
    pub fn url_via_port(&self, port: u16) -> String {
        let (prefix, host_port) = split_authority(&self.url);
        let rest = &self.url[prefix.len() + host_port.len()..];
        format!("{prefix}127.0.0.1:{port}{rest}")
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the service under test is given.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        self.sqlite_dir.as_ref().map(|d| d.path().to_path_buf())
    }

    pub fn users(&self) -> Vec<StoredUser> {
        self.load("SELECT id, email, password, registered_on, admin, email_verified_at FROM users ORDER BY id")
    }

    /// `(kind, count)` of every security event, in the order they were stored.
    pub fn event_kinds(&self) -> Vec<(String, i64)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            kind: String,
            #[diesel(sql_type = BigInt)]
            count: i64,
        }
        self.load::<Row>("SELECT kind, count FROM auth_events ORDER BY id")
            .into_iter()
            .map(|r| (r.kind, r.count))
            .collect()
    }

    /// Every signing key, by the time it signs from.
    pub fn signing_keys(&self) -> Vec<StoredSigningKey> {
        self.load(
            "SELECT kid, previous_kid, signs_from, public_key, sealed_private_key, revoked_at FROM signing_keys \
             ORDER BY signs_from, kid",
        )
    }

    /// Every attempt counter, by id.
    pub fn counters(&self) -> Vec<StoredCounter> {
        self.load(
            "SELECT id, kind, email, window_started_at, attempts, blocked_until FROM attempt_counters ORDER BY id",
        )
    }

    /// Every link row, oldest first.
    pub fn links(&self) -> Vec<StoredLink> {
        self.load(
            "SELECT token_hash, kind, user_id, email, created_at, expires_at, used_at, voided_at FROM email_tokens \
             ORDER BY created_at, token_hash",
        )
    }

    /// Every outbox row, by id.
    pub fn mails(&self) -> Vec<StoredMail> {
        self.load(
            "SELECT id, kind, recipient, user_id, sealed_link, detail, state, attempts, sent_at, last_error FROM outbox \
             ORDER BY id",
        )
    }

    pub fn revocations(&self) -> Vec<StoredRevocation> {
        self.load("SELECT jti, user_id, revoked_at, expires_at FROM revoked_tokens ORDER BY expires_at, jti")
    }

    /// Every session row, in the order they started.
    pub fn sessions(&self) -> Vec<StoredSession> {
        self.load(
            "SELECT id, user_id, generation, created_at, last_active_at, ended_at, end_reason, user_agent, ip, \
             tokens_revoked FROM sessions ORDER BY created_at, id",
        )
    }

    /// The session row `id`.
    pub fn session(&self, id: &str) -> StoredSession {
        self.sessions().into_iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no session {id}"))
    }

    /// `(column, declared type)` of `table` in column order, with the type as the backend reports it.
    pub fn columns(&self, table: &str) -> Vec<(String, String)> {
        #[derive(QueryableByName)]
        struct Column {
            #[diesel(sql_type = Text)]
            name: String,
            #[diesel(sql_type = Text)]
            kind: String,
        }
        let sql = match self.backend {
            Backend::Sqlite => {
                format!("SELECT name, type AS kind FROM pragma_table_info('{table}') ORDER BY cid")
            }
            Backend::Postgres => format!(
                "SELECT column_name::text AS name, data_type::text AS kind FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        };
        self.load::<Column>(&sql).into_iter().map(|c| (c.name, c.kind)).collect()
    }

    /// Every row of `table` as one line of text (each column's value, as text, `|` between): what a
    /// dump of the table shows, to assert that something is not in it.
    pub fn dump_table(&self, table: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            line: String,
        }
        let columns: Vec<String> = self.columns(table).into_iter().map(|(name, _)| name).collect();
        let as_text: Vec<String> = columns.iter().map(|c| format!("coalesce(CAST({c} AS TEXT), '')")).collect();
        let sql = format!("SELECT {} AS line FROM {table}", as_text.join(" || ' | ' || "));
        self.load::<Row>(&sql).into_iter().map(|r| r.line).collect()
    }

    /// Every table of the database (its migrations' bookkeeping included), by name.
    pub fn tables(&self) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Table {
            #[diesel(sql_type = Text)]
            name: String,
        }
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() \
                 ORDER BY table_name"
            }
        };
        self.load::<Table>(sql).into_iter().map(|t| t.name).collect()
    }

    /// Every row of every table the service keeps, as `dump_table` writes them.
    pub fn dump(&self) -> String {
        self.tables()
            .into_iter()
            .flat_map(|table| self.dump_table(&table).into_iter().map(move |line| format!("{table}: {line}")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Runs statements directly, bypassing the service (to delete a user, say).
    pub fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.sqlite_connection();
                conn.batch_execute(sql).expect("execute SQL");
            }
            Backend::Postgres => self.pg_connection().batch_execute(sql).expect("execute SQL"),
        }
    }

    fn load<T>(&self, sql: &str) -> Vec<T>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        match self.backend {
            Backend::Sqlite => diesel::sql_query(sql).load(&mut self.sqlite_connection()).expect("query SQLite"),
            Backend::Postgres => diesel::sql_query(sql).load(&mut self.pg_connection()).expect("query PostgreSQL"),
        }
    }

    fn sqlite_connection(&self) -> SqliteConnection {
        let path = self.url.trim_start_matches("sqlite://");
        let mut conn = SqliteConnection::establish(path).expect("open the SQLite test database");
        conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;").expect("set pragmas");
        conn
    }

    /// A connection of the test's own to this PostgreSQL schema (to hold locks, say).
    pub fn postgres_connection(&self) -> PgConnection {
        assert_eq!(self.backend, Backend::Postgres, "not a PostgreSQL test database");
        self.pg_connection()
    }

    fn pg_connection(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the PostgreSQL test schema")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut admin) = PgConnection::establish(base)
        {
            // Best effort: a schema left behind by a crashed run is harmless and uniquely named.
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Splits `scheme://user@host:port/rest` into (`scheme://user@`, `host:port`).
fn split_authority(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[after_scheme..].find(['/', '?']).map_or(url.len(), |i| after_scheme + i);
    let host_start = url[after_scheme..authority_end].rfind('@').map_or(after_scheme, |i| after_scheme + i + 1);
    (&url[..host_start], &url[host_start..authority_end])
}

/// The URL as the persistence crate shows it: any password replaced by `***`.
fn redact(url: &str) -> String {
    auth_persistence::DatabaseUrl::parse(url).map_or_else(|e| format!("<{e}>"), |url| url.to_string())
}

/// Runs each named test function (taking a [`Backend`]) once on SQLite and once on PostgreSQL:
/// `on_both_backends!(fn_a, fn_b);` or, for async tests, `on_both_backends!(async fn_a, fn_b);`.
#[macro_export]
macro_rules! on_both_backends {
    (async $($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[actix_web::test] async fn $name() { super::$name($crate::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[actix_web::test] async fn $name() { super::$name($crate::Backend::Postgres).await } )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::Backend::Postgres) } )*
        }
    };
}
