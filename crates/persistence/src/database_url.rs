use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL whose scheme has been checked. `Debug` and `Display` hide any password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("database.url must start with postgres://, postgresql:// or sqlite:// (got \"{scheme}\")")]
    UnknownScheme { scheme: String },
    #[error("database.url sqlite:// needs a file path, e.g. sqlite://data/auth.db")]
    MissingSqlitePath,
    #[error("database.url sqlite:// takes a plain file path, without '?' or '#'")]
    SqliteQuery,
    #[error("database.url has an unescaped '@' in its user name or password: write it as %40")]
    UnescapedAt,
    /// The URL's parts are not where they should be; nothing of it is repeated here (it may hold a password).
    #[error(
        "database.url does not parse as postgres://user:password@host:port/database ({0}). A password with '/', '@', \
         ':', '?' or '#' in it must be percent-encoded (e.g. / as %2F), or set apart in database.password \
         (APP__DATABASE__PASSWORD or APP__DATABASE__PASSWORD_FILE), which takes any characters"
    )]
    Unparseable(&'static str),
    #[error("database.password is set, and database.url has a password too: set it in one place")]
    PasswordTwice,
    #[error("database.password is for PostgreSQL; an sqlite:// database has none")]
    PasswordForSqlite,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let backend = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            // libpq splits the user info at the first '@' and would take the rest of the password for a
            // host name, then print it in its error.
            if authority(raw).is_some_and(|(userinfo, _)| userinfo.contains('@')) {
                return Err(DatabaseUrlError::UnescapedAt);
            }
            check_postgres_parts(raw)?;
            Backend::Postgres
        } else if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::MissingSqlitePath);
            }
            if path.contains(['?', '#']) {
                return Err(DatabaseUrlError::SqliteQuery);
            }
            Backend::Sqlite
        } else {
            let scheme = raw.split_once("://").map_or("", |(s, _)| s).chars().take(32).collect();
            return Err(DatabaseUrlError::UnknownScheme { scheme });
        };
        Ok(Self { raw: raw.to_owned(), backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This PostgreSQL URL with `password` put in, percent-encoded, so that it may hold any character.
    pub fn with_password(&self, password: &str) -> Result<Self, DatabaseUrlError> {
        if self.backend == Backend::Sqlite {
            return Err(DatabaseUrlError::PasswordForSqlite);
        }
        let (scheme, rest) = self.raw.split_once("://").ok_or(DatabaseUrlError::Unparseable("no scheme"))?;
        let (user, host_and_rest) = match authority(&self.raw) {
            Some((userinfo, _)) if userinfo.contains(':') => return Err(DatabaseUrlError::PasswordTwice),
            Some((userinfo, after)) => (userinfo.to_owned(), after.to_owned()),
            None => (String::new(), rest.to_owned()),
        };
        Self::parse(&format!("{scheme}://{user}:{}@{host_and_rest}", percent_encode(password)))
    }

    /// What the driver is given: the whole URL for PostgreSQL. For SQLite, a URI that opens the file
    /// read-write and never creates it (`mode=rw`): a database file deleted while the service runs is
    /// then an error on the next connection, not a new empty database. `create` is for migrations.
    pub(crate) fn connection_string(&self, create: bool) -> String {
        match self.backend {
            Backend::Postgres => self.raw.clone(),
            Backend::Sqlite => {
                let path = self.raw.strip_prefix("sqlite://").unwrap_or(&self.raw);
                let mode = if create { "rwc" } else { "rw" };
                format!("file:{}?mode={mode}", path.replace('%', "%25"))
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.backend {
            Backend::Sqlite => Some(Path::new(self.raw.strip_prefix("sqlite://").unwrap_or(&self.raw)).to_path_buf()),
            Backend::Postgres => None,
        }
    }

    /// The password, as written in the URL and percent-decoded, where it has one.
    fn passwords(&self) -> Vec<String> {
        let mut found = Vec::new();
        if let Some((userinfo, _)) = authority(&self.raw)
            && let Some((_, password)) = userinfo.split_once(':')
        {
            found.push(password.to_owned());
        }
        if let Some((_, query)) = self.raw.split_once('?') {
            found.extend(query.split('&').filter_map(|pair| pair.strip_prefix("password=")).map(str::to_owned));
        }
        let decoded: Vec<String> = found.iter().map(|p| percent_decode(p)).collect();
        found.extend(decoded);
        found.retain(|p| !p.is_empty());
        // longest first, so that a password containing another is replaced whole
        found.sort_by_key(|p| std::cmp::Reverse(p.len()));
        found
    }

    /// `text` (a driver's error, say) with every form of the URL's password replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.passwords().iter().fold(text.to_owned(), |text, password| text.replace(password.as_str(), "***"))
    }

    fn redacted(&self) -> String {
        // postgres://user:password@host/db -> postgres://user:***@host/db; ?password=x -> ?password=***
        let mut shown = match (self.raw.split_once("://"), authority(&self.raw)) {
            (Some((scheme, _)), Some((userinfo, rest))) if userinfo.contains(':') => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                format!("{scheme}://{user}:***@{rest}")
            }
            _ => self.raw.clone(),
        };
        if let Some((base, query)) = shown.clone().split_once('?') {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| if pair.starts_with("password=") { "password=***".to_owned() } else { pair.to_owned() })
                .collect();
            shown = format!("{base}?{}", query.join("&"));
        }
        shown
    }
}

/// The user info and what follows it, split at the last '@' before the path: `user:pw@host/db` gives
/// (`user:pw`, `host/db`).
fn authority(raw: &str) -> Option<(&str, &str)> {
    let (_, rest) = raw.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    Some((&rest[..at], &rest[at + 1..]))
}

/// Refuses a PostgreSQL URL whose host, port or database name shows that a password cut it early: a
/// port that is not a number, a database name holding an '@'.
fn check_postgres_parts(raw: &str) -> Result<(), DatabaseUrlError> {
    let rest = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    // [v6::address]:port, or host:port, or host
    let port = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(_, port)| port.strip_prefix(':').unwrap_or(port)),
        None => host_port.split_once(':').map(|(_, port)| port),
    };
    if let Some(port) = port.filter(|p| !p.is_empty())
        && (!port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err())
    {
        return Err(DatabaseUrlError::Unparseable("the port is not a number"));
    }
    let path = after.split(['?', '#']).next().unwrap_or_default();
    if path.contains('@') {
        return Err(DatabaseUrlError::Unparseable("the database name holds an '@'"));
    }
    Ok(())
}

/// Every byte but the unreserved ones (RFC 3986 §2.3) as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_backend_from_the_scheme() {
        assert_eq!(DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(), Backend::Postgres);
        assert_eq!(DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(), Backend::Postgres);
        let sqlite = DatabaseUrl::parse("sqlite://data/auth.db").unwrap();
        assert_eq!(sqlite.backend(), Backend::Sqlite);
        assert_eq!(sqlite.connection_string(false), "file:data/auth.db?mode=rw");
        assert_eq!(sqlite.connection_string(true), "file:data/auth.db?mode=rwc");
        assert_eq!(
            DatabaseUrl::parse("sqlite://100%/a.db").unwrap().connection_string(false),
            "file:100%25/a.db?mode=rw"
        );
        assert_eq!(sqlite.sqlite_path().unwrap(), PathBuf::from("data/auth.db"));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap().sqlite_path().unwrap(),
            PathBuf::from("/tmp/x.db")
        );
    }

    #[test]
    fn rejects_other_schemes() {
        assert_eq!(
            DatabaseUrl::parse("mysql://u@h/db").unwrap_err(),
            DatabaseUrlError::UnknownScheme { scheme: "mysql".into() }
        );
        assert_eq!(
            DatabaseUrl::parse("data/auth.db").unwrap_err(),
            DatabaseUrlError::UnknownScheme { scheme: "".into() }
        );
        assert_eq!(DatabaseUrl::parse("sqlite://").unwrap_err(), DatabaseUrlError::MissingSqlitePath);
        assert_eq!(DatabaseUrl::parse("sqlite://a.db?mode=ro").unwrap_err(), DatabaseUrlError::SqliteQuery);
        assert_eq!(
            DatabaseUrl::parse("postgres://app:pa@ss@word@127.0.0.1/auth").unwrap_err(),
            DatabaseUrlError::UnescapedAt
        );
        // an '@' after the host (in the path or query) is not in the user info
        assert!(DatabaseUrl::parse("postgres://app@db/auth?application_name=a@b").is_ok());
    }

    #[test]
    fn redacts_the_password_from_any_text() {
        let url = DatabaseUrl::parse("postgres://app:p%40ss%2Fw0rd@db:5432/auth").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/auth");
        assert_eq!(
            url.redact("FATAL: password authentication failed (p@ss/w0rd, p%40ss%2Fw0rd)"),
            "FATAL: password authentication failed (***, ***)"
        );
        let query = DatabaseUrl::parse("postgres://app@db/auth?sslmode=disable&password=hunter22").unwrap();
        assert_eq!(query.to_string(), "postgres://app@db/auth?sslmode=disable&password=***");
        assert!(!format!("{query:?}").contains("hunter22"));
        assert_eq!(query.redact("bad password hunter22"), "bad password ***");
    }

    /// `openssl rand -base64 48` gives a '/' in about two of three passwords; pasted into a URL, it ends the
    /// user info early. The error says what to do and repeats nothing of the URL.
    #[test]
    fn a_password_that_cuts_the_url_is_named_and_not_repeated() {
        for url in [
            "postgres://auth:Kq/cdEF@db:5432/auth",
            "postgres://auth:12345/xyzW@db:5432/auth",
            "postgres://auth:Kq?W@db:5432/auth",
            "postgres://db:99999/auth",
            "postgres://[::1]:x/auth",
        ] {
            let err = DatabaseUrl::parse(url).unwrap_err();
            let message = err.to_string();
            assert!(matches!(err, DatabaseUrlError::Unparseable(_)), "{url}: {err:?}");
            assert!(message.contains("database.password") && message.contains("%2F"), "{message}");
            for part in ["Kq", "cdEF", "12345", "xyzW", "auth:", "db:"] {
                assert!(!message.contains(part), "{part} in {message}");
            }
        }
        for good in
            ["postgres://auth@db:5432/auth", "postgres://auth:pw@[::1]:5432/auth", "postgres://db/auth?sslmode=disable"]
        {
            assert!(DatabaseUrl::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_password_set_apart_may_hold_any_character() {
        let password = "ab/c@d:e?f#g%h i+j";
        let url = DatabaseUrl::parse("postgres://auth@db:5432/auth").unwrap().with_password(password).unwrap();
        assert_eq!(url.connection_string(false), "postgres://auth:ab%2Fc%40d%3Ae%3Ff%23g%25h%20i%2Bj@db:5432/auth");
        assert_eq!(url.to_string(), "postgres://auth:***@db:5432/auth");
        assert_eq!(url.redact(&format!("failed for {password}")), "failed for ***");
        let without_user = DatabaseUrl::parse("postgres://db/auth").unwrap().with_password("x/y").unwrap();
        assert_eq!(without_user.connection_string(false), "postgres://:x%2Fy@db/auth");
        assert_eq!(
            DatabaseUrl::parse("postgres://auth:pw@db/auth").unwrap().with_password("x").unwrap_err(),
            DatabaseUrlError::PasswordTwice
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://a.db").unwrap().with_password("x").unwrap_err(),
            DatabaseUrlError::PasswordForSqlite
        );
    }

    #[test]
    fn hides_the_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/auth").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/auth");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(DatabaseUrl::parse("postgres://app@db/auth").unwrap().to_string(), "postgres://app@db/auth");
    }
}
