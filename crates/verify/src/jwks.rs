use jsonwebtoken::DecodingKey;
use std::time::Duration;

/// A JWKS as fetched: each Ed25519 signing key by its `kid`, and how long the set may be cached.
#[derive(Clone)]
pub struct Fetched {
    pub keys: Vec<(String, DecodingKey)>,
    pub max_age: Option<Duration>,
}

impl Fetched {
    /// The Ed25519 signing keys of a JWKS document (`auth_token::jwks::ed25519_keys`).
    pub fn from_jwks(body: &str, max_age: Option<Duration>) -> Result<Self, FetchError> {
        let keys = auth_token::jwks::ed25519_keys(body).map_err(|e| FetchError::Body(e.to_string()))?;
        Ok(Self { keys, max_age })
    }
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(kid, _)| kid.as_str()).collect();
        f.debug_struct("Fetched").field("kids", &kids).field("max_age", &self.max_age).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("fetching the JWKS failed: {0}")]
    Http(String),
    #[error("the JWKS answered {0}")]
    Status(u16),
    #[error("the JWKS is not a JSON key set: {0}")]
    Body(String),
}

/// Where keys come from: HTTP in production, anything in tests.
pub trait JwksSource: Send + Sync {
    fn fetch(&self) -> Result<Fetched, FetchError>;
}

/// `GET <url>` with a timeout.
pub struct HttpJwks {
    url: String,
    agent: ureq::Agent,
}

impl HttpJwks {
    pub fn new(url: &str, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build();
        Self { url: url.to_owned(), agent: agent.into() }
    }
}

impl JwksSource for HttpJwks {
    fn fetch(&self) -> Result<Fetched, FetchError> {
        let mut response = self.agent.get(&self.url).call().map_err(|e| FetchError::Http(e.to_string()))?;
        if response.status() != 200 {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let max_age = response.headers().get("cache-control").and_then(|v| v.to_str().ok()).and_then(max_age);
        let body = response
            .body_mut()
            .with_config()
            .limit(1024 * 1024)
            .read_to_string()
            .map_err(|e| FetchError::Http(e.to_string()))?;
        Fetched::from_jwks(&body, max_age)
    }
}

/// `max-age=N` of a `Cache-Control` value (none with `no-store` or `no-cache`: fetch every time).
pub(crate) fn max_age(header: &str) -> Option<Duration> {
    let directives: Vec<&str> = header.split(',').map(str::trim).collect();
    if directives.iter().any(|d| d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache")) {
        return Some(Duration::ZERO);
    }
    directives
        .iter()
        .find_map(|d| d.strip_prefix("max-age=").or_else(|| d.strip_prefix("MAX-AGE=")))
        .and_then(|n| n.trim_matches('"').parse::<u64>().ok())
        .map(|secs| Duration::from_secs(secs.min(24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_is_read() {
        assert_eq!(max_age("public, max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(max_age("max-age=999999999"), Some(Duration::from_secs(86_400)), "at most a day");
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
    }

    #[test]
    fn a_body_that_is_not_a_key_set_is_an_error() {
        assert!(Fetched::from_jwks("{}", None).is_err());
        assert!(Fetched::from_jwks("<html>", None).is_err());
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let body = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"a"}},{{"kty":"RSA","n":"x","e":"AQAB","kid":"e"}}]}}"#
        );
        assert_eq!(
            format!("{:?}", Fetched::from_jwks(&body, None).unwrap()),
            r#"Fetched { kids: ["a"], max_age: None }"#
        );
    }
}
