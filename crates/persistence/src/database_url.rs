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
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let backend = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Backend::Postgres
        } else if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::MissingSqlitePath);
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

    /// What the driver is given: the whole URL for PostgreSQL, the file path for SQLite.
    pub(crate) fn connection_string(&self) -> &str {
        match self.backend {
            Backend::Postgres => &self.raw,
            Backend::Sqlite => self.raw.strip_prefix("sqlite://").unwrap_or(&self.raw),
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.backend {
            Backend::Sqlite => {
                let path = self.connection_string();
                let path = path.split_once('?').map_or(path, |(p, _)| p);
                Some(Path::new(path).to_path_buf())
            }
            Backend::Postgres => None,
        }
    }

    fn redacted(&self) -> String {
        // postgres://user:password@host/db -> postgres://user:***@host/db
        let Some((scheme, rest)) = self.raw.split_once("://") else {
            return self.raw.clone();
        };
        match rest.split_once('@') {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                format!("{scheme}://{user}:***@{host}")
            }
            _ => self.raw.clone(),
        }
    }
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
        assert_eq!(sqlite.connection_string(), "data/auth.db");
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
    }

    #[test]
    fn hides_the_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/auth").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/auth");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(DatabaseUrl::parse("postgres://app@db/auth").unwrap().to_string(), "postgres://app@db/auth");
    }
}
