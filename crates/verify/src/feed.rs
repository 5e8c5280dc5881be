//! The revocation feed, followed: a thread keeps auth-service's stream (`GET /auth/revocations/stream`,
//! Server-Sent Events) open, holds the live entries in memory (each leaves at its `until`), reconnects with
//! backoff and resumes from its cursor. `Verifier::verify` then refuses a token whose `jti` or session was
//! revoked, within about a second of the logout, with no call per request.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How the verifier follows the feed.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// e.g. `http://auth:8080/auth/revocations/stream`
    pub stream_url: String,
    /// After this long without hearing from the feed (auth-service sends a heartbeat every 15 s) it
    /// counts as stale.
    pub max_stale: Duration,
    /// With a stale feed: `false` (the default) keeps verifying (a WARN, and `FeedHealth::stale`);
    /// `true` refuses every token until the feed is back.
    pub fail_closed: bool,
    /// The first reconnect waits this long, each next one twice as long, at most `reconnect_max`.
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// A connection that brings nothing (not even a heartbeat) for this long is dropped and made again.
    pub read_timeout: Duration,
}

impl FeedConfig {
    pub fn new(stream_url: impl Into<String>) -> Self {
        Self {
            stream_url: stream_url.into(),
            max_stale: Duration::from_secs(60),
            fail_closed: false,
            reconnect_min: Duration::from_millis(250),
            reconnect_max: Duration::from_secs(30),
            read_timeout: Duration::from_secs(45),
        }
    }
}

/// What the subscription knows now (for a health check or metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedHealth {
    pub connected: bool,
    /// The last entry's cursor.
    pub cursor: i64,
    /// Revoked sessions and tokens held.
    pub entries: usize,
    /// Past `max_stale` without word from the feed.
    pub stale: bool,
}

/// The live entries, shared by the verifier and the thread that follows the feed.
pub(crate) struct Revocations {
    sessions: RwLock<HashMap<String, DateTime<Utc>>>,
    tokens: RwLock<HashMap<String, DateTime<Utc>>>,
    cursor: AtomicI64,
    connected: AtomicBool,
    /// When the feed was last heard from (or the subscription started).
    last_contact: Mutex<Instant>,
    last_warning: Mutex<Option<Instant>>,
    pub(crate) config: FeedConfig,
    stop: AtomicBool,
}

impl Revocations {
    pub(crate) fn new(config: FeedConfig) -> Self {
        Self {
            sessions: RwLock::default(),
            tokens: RwLock::default(),
            cursor: AtomicI64::new(0),
            connected: AtomicBool::new(false),
            last_contact: Mutex::new(Instant::now()),
            last_warning: Mutex::new(None),
            config,
            stop: AtomicBool::new(false),
        }
    }

    /// Whether the token `jti` of session `sid` is revoked (and not yet expired).
    pub(crate) fn is_revoked(&self, jti: &str, sid: Option<&str>, now: DateTime<Utc>) -> bool {
        let live = |map: &RwLock<HashMap<String, DateTime<Utc>>>, key: &str| {
            map.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).is_some_and(|until| *until > now)
        };
        live(&self.tokens, jti) || sid.is_some_and(|sid| live(&self.sessions, sid))
    }

    pub(crate) fn stale(&self) -> bool {
        let last = *self.last_contact.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        last.elapsed() > self.config.max_stale
    }

    /// A stale feed is said at most once a minute.
    pub(crate) fn warn_if_stale(&self) -> bool {
        if !self.stale() {
            return false;
        }
        let mut last = self.last_warning.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
            *last = Some(Instant::now());
            tracing::warn!(
                url = %self.config.stream_url,
                fail_closed = self.config.fail_closed,
                "the revocation feed is stale: revocations since it was last heard from are not seen"
            );
        }
        true
    }

    pub(crate) fn health(&self) -> FeedHealth {
        let count = |map: &RwLock<HashMap<String, DateTime<Utc>>>| {
            map.read().unwrap_or_else(std::sync::PoisonError::into_inner).len()
        };
        FeedHealth {
            connected: self.connected.load(Ordering::Relaxed),
            cursor: self.cursor.load(Ordering::Relaxed),
            entries: count(&self.sessions) + count(&self.tokens),
            stale: self.stale(),
        }
    }

    pub(crate) fn heard_now(&self) {
        self.heard();
    }

    fn heard(&self) {
        *self.last_contact.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    /// One entry, as the stream's `data:` carries it.
    pub(crate) fn apply(&self, data: &str, now: DateTime<Utc>) {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(data) else { return };
        let until = entry["until"].as_i64().and_then(|t| DateTime::from_timestamp(t, 0));
        let Some(until) = until.filter(|until| *until > now) else { return };
        let (map, key) = match (entry["sid"].as_str(), entry["jti"].as_str()) {
            (Some(sid), _) => (&self.sessions, sid),
            (None, Some(jti)) => (&self.tokens, jti),
            (None, None) => return,
        };
        map.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_owned(), until);
        if let Some(id) = entry["id"].as_i64() {
            self.cursor.fetch_max(id, Ordering::Relaxed);
        }
    }

    /// The stream said this subscriber fell behind what is kept: start again from its snapshot.
    pub(crate) fn reset(&self) {
        self.sessions.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        self.tokens.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        self.cursor.store(0, Ordering::Relaxed);
    }

    /// Drops entries whose tokens have all expired: memory stays bounded by what can still be presented.
    pub(crate) fn prune(&self, now: DateTime<Utc>) {
        for map in [&self.sessions, &self.tokens] {
            map.write().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|_, until| *until > now);
        }
    }

    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Follows the feed on a thread of its own until `stop`: connect, read events, and on any failure wait
/// (backoff) and connect again from the cursor held.
pub(crate) fn follow(revocations: Arc<Revocations>, clock: Arc<dyn crate::Clock>) -> std::io::Result<()> {
    std::thread::Builder::new().name("auth-verify-feed".into()).spawn(move || {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_per_read(Some(revocations.config.read_timeout))
            .http_status_as_error(false)
            .build();
        let agent: ureq::Agent = agent.into();
        let mut wait = revocations.config.reconnect_min;
        while !revocations.stop.load(Ordering::Relaxed) {
            match read_stream(&agent, &revocations, clock.as_ref()) {
                // a stream that delivered something: the next connect comes quickly
                Ok(true) => wait = revocations.config.reconnect_min,
                Ok(false) => {}
                Err(e) => tracing::debug!(error = %e, "revocation feed connection failed"),
            }
            revocations.connected.store(false, Ordering::Relaxed);
            if revocations.stop.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(revocations.config.reconnect_max);
        }
    })?;
    Ok(())
}

/// One connection: whether it delivered anything.
fn read_stream(agent: &ureq::Agent, revocations: &Revocations, clock: &dyn crate::Clock) -> Result<bool, String> {
    let cursor = revocations.cursor.load(Ordering::Relaxed);
    let response = agent
        .get(&revocations.config.stream_url)
        .header("Accept", "text/event-stream")
        .header("Last-Event-ID", cursor.to_string())
        .call()
        .map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("the feed answered {}", response.status()));
    }
    revocations.connected.store(true, Ordering::Relaxed);
    revocations.heard();
    let mut reader = BufReader::new(response.into_body().into_reader());
    let (mut event, mut data) = (String::new(), String::new());
    let mut delivered = false;
    let mut last_prune = Instant::now();
    let mut line = String::new();
    loop {
        if revocations.stop.load(Ordering::Relaxed) {
            return Ok(delivered);
        }
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Ok(delivered);
        }
        revocations.heard();
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            // the end of an event
            match event.as_str() {
                "reset" => revocations.reset(),
                _ if !data.is_empty() => revocations.apply(&data, clock.now()),
                _ => {}
            }
            delivered = true;
            event.clear();
            data.clear();
        } else if let Some(value) = line.strip_prefix("event:") {
            event = value.trim().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim());
        }
        // `id:` repeats the cursor the data carries; `:` lines are heartbeats
        if last_prune.elapsed() > Duration::from_secs(10) {
            revocations.prune(clock.now());
            last_prune = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn entries_revoke_their_token_or_session_until_they_expire() {
        let feed = Revocations::new(FeedConfig::new("http://x"));
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let until = now.timestamp() + 60;
        feed.apply(&format!(r#"{{"id":3,"sid":"s-1","until":{until}}}"#), now);
        feed.apply(&format!(r#"{{"id":4,"jti":"j-1","until":{until}}}"#), now);
        feed.apply(&format!(r#"{{"id":5,"jti":"old","until":{}}}"#, now.timestamp() - 1), now);
        feed.apply("not json", now);
        assert!(feed.is_revoked("any", Some("s-1"), now));
        assert!(feed.is_revoked("j-1", None, now));
        assert!(!feed.is_revoked("old", None, now), "an expired entry is not kept");
        assert!(!feed.is_revoked("other", Some("s-2"), now));
        assert_eq!(feed.health().entries, 2);
        assert_eq!(feed.health().cursor, 4);
        let later = now + chrono::TimeDelta::seconds(61);
        assert!(!feed.is_revoked("j-1", None, later));
        feed.prune(later);
        assert_eq!(feed.health().entries, 0, "memory is bounded by what can still be presented");
        feed.apply(&format!(r#"{{"id":9,"sid":"s-9","until":{}}}"#, until + 100), now);
        feed.reset();
        assert_eq!((feed.health().entries, feed.health().cursor), (0, 0));
    }
}
