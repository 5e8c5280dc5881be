use serde::Deserialize;
use std::time::Duration;

/// A JWKS as fetched: `(kid, x)` of each Ed25519 signing key, and how long it may be cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub keys: Vec<(String, String)>,
    pub max_age: Option<Duration>,
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
        Ok(Fetched { keys: parse(&body)?, max_age })
    }
}

#[derive(Deserialize)]
struct Set {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
}

/// The Ed25519 signing keys with a `kid`; other keys in the set are left out.
pub(crate) fn parse(body: &str) -> Result<Vec<(String, String)>, FetchError> {
    let set: Set = serde_json::from_str(body).map_err(|e| FetchError::Body(e.to_string()))?;
    Ok(set
        .keys
        .into_iter()
        .filter(|k| k.kty == "OKP" && k.crv.as_deref() == Some("Ed25519"))
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == "EdDSA") && k.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter_map(|k| Some((k.kid?, k.x?)))
        .collect())
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
    fn only_ed25519_signing_keys_with_a_kid_are_taken() {
        let body = r#"{"keys":[
            {"kty":"OKP","crv":"Ed25519","x":"AAA","kid":"a","alg":"EdDSA","use":"sig"},
            {"kty":"OKP","crv":"Ed25519","x":"BBB","kid":"b"},
            {"kty":"OKP","crv":"Ed25519","x":"CCC"},
            {"kty":"OKP","crv":"X25519","x":"DDD","kid":"d"},
            {"kty":"RSA","n":"x","e":"AQAB","kid":"e"},
            {"kty":"OKP","crv":"Ed25519","x":"FFF","kid":"f","use":"enc"},
            {"kty":"oct","k":"c2VjcmV0","kid":"g"}
        ]}"#;
        assert_eq!(parse(body).unwrap(), [("a".to_owned(), "AAA".to_owned()), ("b".to_owned(), "BBB".to_owned())]);
        assert!(parse("{}").is_err());
        assert!(parse("<html>").is_err());
    }
}
