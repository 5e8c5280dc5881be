//! In-memory fakes of the storage traits, with the same atomicity as the real ones: every method is one
//! critical section, as the database's one statement or transaction.

use crate::account_store::{AccountStore, EmailChanged, OutboxStore};
use crate::email::Email;
use crate::event::{Event, EventKind, EventQuery, NewEvent};
use crate::mail::{
    ClaimedMail, LinkHash, LinkKind, MailCap, NewLink, NewMail, OutboxCounts, OutboxRow, OutboxState, Queued,
    StoredLink,
};
use crate::password_hasher::PasswordHash;
use crate::session::{EndReason, RefreshClaim, SessionId, SessionInfo, SessionPolicy, StaleRefresh};
use crate::store::{
    EventStore, InsertUserError, KeyStore, LiveAfter, LogoutScope, NewRevocation, NewSession, NewUser, RevocationStore,
    RevokeOutcome, RotateOutcome, SessionState, SessionStore, StoreError, StoredKey, ThrottleStore, TokenCheck,
    TokenLookup, UserStore,
};
use crate::throttle::{Counted, Reserved, ThrottleKey};
use crate::token::TokenId;
use crate::user::{User, UserCredentials, UserId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    pub unavailable: std::sync::atomic::AtomicBool,
    /// Any use panics (a test that proves something never touches the database).
    pub panic_on_use: std::sync::atomic::AtomicBool,
    /// How many times the signing keys were read.
    pub key_reads: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct Inner {
    users: Vec<UserCredentials>,
    revoked: HashMap<TokenId, NewRevocation>,
    sessions: Vec<StoredSession>,
    counters: HashMap<String, Counter>,
    events: Vec<(Event, Option<String>)>,
    keys: Vec<StoredKey>,
    links: Vec<MemoryLink>,
    outbox: Vec<MemoryMail>,
}

/// An `email_tokens` row.
#[derive(Debug, Clone)]
pub struct MemoryLink {
    pub hash: LinkHash,
    pub kind: LinkKind,
    pub user_id: Option<UserId>,
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
}

/// An `outbox` row.
#[derive(Debug, Clone)]
pub struct MemoryMail {
    pub id: i64,
    pub mail: NewMail,
    pub state: OutboxState,
    pub attempts: u64,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// An attempt counter row.
#[derive(Debug, Clone)]
pub struct Counter {
    pub email: Option<String>,
    pub window_started_at: DateTime<Utc>,
    pub count: u64,
    pub blocked_until: Option<DateTime<Utc>>,
}

/// A session row.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub generation: u64,
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<&'static str>,
    pub info: SessionInfo,
}

impl StoredSession {
    fn live(&self, now: DateTime<Utc>, policy: &SessionPolicy) -> bool {
        let (active_after, started_after) = policy.live_after(now);
        self.live_after(LiveAfter { active_after, started_after })
    }

    fn live_after(&self, live: LiveAfter) -> bool {
        self.ended_at.is_none() && self.last_active_at > live.active_after && self.created_at > live.started_after
    }

    fn end(&mut self, now: DateTime<Utc>, reason: EndReason) {
        if self.ended_at.is_none() {
            self.ended_at = Some(now);
            self.end_reason = Some(reason.as_str());
        }
    }
}

impl MemoryStore {
    fn check(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        assert!(!self.panic_on_use.load(std::sync::atomic::Ordering::SeqCst), "the store was used");
        if self.unavailable.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Unavailable(crate::store::cause("connection refused")));
        }
        Ok(self.inner.lock().unwrap())
    }

    /// Every event, oldest first.
    pub fn all_events(&self) -> Vec<Event> {
        self.inner.lock().unwrap().events.iter().map(|(e, _)| e.clone()).collect()
    }

    /// Every attempt counter, by id.
    pub fn counters(&self) -> HashMap<String, Counter> {
        self.inner.lock().unwrap().counters.clone()
    }

    pub fn user_count(&self) -> usize {
        self.inner.lock().unwrap().users.len()
    }

    pub fn revocations(&self) -> Vec<NewRevocation> {
        let mut rows: Vec<_> = self.inner.lock().unwrap().revoked.values().cloned().collect();
        rows.sort_by_key(|r| r.expires_at);
        rows
    }

    pub fn sessions(&self) -> Vec<StoredSession> {
        self.inner.lock().unwrap().sessions.clone()
    }

    pub fn stored_hash(&self, email: &str) -> Option<String> {
        let inner = self.inner.lock().unwrap();
        inner.users.iter().find(|c| c.user.email.as_str() == email).map(|c| c.password_hash.as_str().to_owned())
    }

    pub fn links(&self) -> Vec<MemoryLink> {
        self.inner.lock().unwrap().links.clone()
    }

    pub fn mails(&self) -> Vec<MemoryMail> {
        self.inner.lock().unwrap().outbox.clone()
    }

    pub fn delete_user_by_id(&self, id: UserId) {
        self.inner.lock().unwrap().remove_user(id);
    }
}

impl Inner {
    /// Stores the event as `kind` for `user_id` (when given, over the event's own).
    fn record(&mut self, event: &NewEvent, kind: EventKind, user_id: Option<UserId>) {
        self.events.push((
            Event {
                at: event.at,
                kind: kind.as_str().to_owned(),
                user_id: user_id.or(event.user_id),
                email: event.email.clone(),
                ip: event.client.ip.clone(),
                user_agent: event.client.user_agent.clone(),
                session_id: event.session_id.map(|s| s.to_string()),
                count: 1,
            },
            None,
        ));
    }

    fn remove_user(&mut self, id: UserId) {
        self.users.retain(|c| c.user.id != id);
        self.revoked.retain(|_, r| r.user_id != id);
        self.sessions.retain(|s| s.user_id != id);
        self.links.retain(|l| l.user_id != Some(id));
    }

    fn add_mail(&mut self, mail: &NewMail, user: Option<UserId>) {
        let id = self.outbox.iter().map(|m| m.id).max().unwrap_or(0) + 1;
        let mail = NewMail { user_id: mail.user_id.or(user), ..mail.clone() };
        let next_attempt_at = mail.created_at;
        let state = mail.state;
        self.outbox.push(MemoryMail { id, mail, state, attempts: 0, next_attempt_at, sent_at: None, last_error: None });
    }

    fn add_link(&mut self, link: &NewLink, user: Option<UserId>) {
        if let Some(user) = user {
            for old in self.links.iter_mut().filter(|l| l.user_id == Some(user) && l.kind == link.kind) {
                old.voided_at.get_or_insert(link.created_at);
            }
        }
        self.links.push(MemoryLink {
            hash: link.hash.clone(),
            kind: link.kind,
            user_id: user,
            email: link.email.clone(),
            expires_at: link.expires_at,
            used_at: None,
            voided_at: None,
        });
    }

    /// Uses the link if it is usable as `kind`: its user and address.
    fn use_link(&mut self, hash: &LinkHash, kind: LinkKind, now: DateTime<Utc>) -> Option<(UserId, String)> {
        let link = self.links.iter_mut().find(|l| &l.hash == hash)?;
        let usable = link.kind == kind && link.used_at.is_none() && link.voided_at.is_none() && link.expires_at > now;
        let user = link.user_id.filter(|_| usable)?;
        link.used_at = Some(now);
        Some((user, link.email.clone()))
    }

    fn void_links(&mut self, user: UserId, kinds: &[LinkKind], now: DateTime<Utc>) {
        for link in self.links.iter_mut().filter(|l| l.user_id == Some(user) && kinds.contains(&l.kind)) {
            if link.used_at.is_none() {
                link.voided_at.get_or_insert(now);
            }
        }
    }

    fn insert_session(&mut self, user: UserId, session: &NewSession, max_per_user: u32) {
        let now = session.started_at;
        let mut live: Vec<usize> = (0..self.sessions.len())
            .filter(|&i| self.sessions[i].user_id == user && self.sessions[i].ended_at.is_none())
            .collect();
        live.sort_by_key(|&i| self.sessions[i].last_active_at);
        let excess = (live.len() + 1).saturating_sub(max_per_user as usize);
        for &i in live.iter().take(excess) {
            self.sessions[i].end(now, EndReason::Evicted);
        }
        self.sessions.push(StoredSession {
            id: session.id,
            user_id: user,
            generation: 0,
            created_at: now,
            last_active_at: now,
            rotated_at: None,
            ended_at: None,
            end_reason: None,
            info: SessionInfo { id: session.id, created_on: now, last_active_on: now, client: session.client.clone() },
        });
    }

    fn end_sessions(&mut self, user: UserId, except: Option<SessionId>, now: DateTime<Utc>, reason: EndReason) -> u64 {
        let mut ended = 0;
        for s in self.sessions.iter_mut().filter(|s| s.user_id == user && Some(s.id) != except && s.ended_at.is_none())
        {
            s.end(now, reason);
            ended += 1;
        }
        ended
    }
}

impl UserStore for MemoryStore {
    fn insert_user(
        &self,
        new_user: &NewUser,
        session: Option<&NewSession>,
        event: &NewEvent,
        verification: Option<(&NewLink, &NewMail)>,
    ) -> Result<User, InsertUserError> {
        let mut inner = self.check()?;
        if inner.users.iter().any(|c| c.user.email == new_user.email) {
            return Err(InsertUserError::EmailTaken);
        }
        let id = UserId(inner.users.iter().map(|c| c.user.id.0).max().unwrap_or(0) + 1);
        let user = User {
            id,
            email: new_user.email.clone(),
            admin: new_user.admin,
            registered_on: new_user.registered_on,
            email_verified_at: None,
        };
        inner.users.push(UserCredentials { user: user.clone(), password_hash: new_user.password_hash.clone() });
        if let Some(session) = session {
            inner.insert_session(id, session, u32::MAX);
        }
        if let Some((link, mail)) = verification {
            inner.add_link(link, Some(id));
            inner.add_mail(mail, Some(id));
        }
        inner.record(event, event.kind, Some(id));
        Ok(user)
    }

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError> {
        Ok(self.check()?.users.iter().find(|c| &c.user.email == email).cloned())
    }

    fn check_tokens(&self, tokens: &[TokenLookup], live: LiveAfter) -> Result<Vec<Option<TokenCheck>>, StoreError> {
        let inner = self.check()?;
        Ok(tokens
            .iter()
            .map(|t| {
                let user = inner.users.iter().find(|c| c.user.id == t.user_id).map(|c| c.user.clone())?;
                let session = match t.session {
                    None => SessionState::NotNamed,
                    Some(sid) => match inner.sessions.iter().find(|s| s.id == sid && s.user_id == t.user_id) {
                        None => SessionState::Missing,
                        Some(s) if !s.live_after(live) => SessionState::Ended,
                        Some(_) => SessionState::Live,
                    },
                };
                Some(TokenCheck { user, revoked: inner.revoked.contains_key(&t.jti), session })
            })
            .collect())
    }

    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError> {
        let mut inner = self.check()?;
        let found = inner.users.iter_mut().find(|c| &c.user.email == email);
        Ok(found.map(|c| {
            c.user.admin = admin;
            c.user.clone()
        }))
    }

    fn replace_password_hash(&self, id: UserId, old: &PasswordHash, new: &PasswordHash) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        match inner.users.iter_mut().find(|c| c.user.id == id && &c.password_hash == old) {
            Some(user) => {
                user.password_hash = new.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let Some(user) = inner.users.iter_mut().find(|c| c.user.id == id) else {
            return Ok(false);
        };
        user.password_hash = hash.clone();
        inner.end_sessions(id, keep, now, EndReason::PasswordChanged);
        inner.record(event, event.kind, None);
        Ok(true)
    }
}

impl SessionStore for MemoryStore {
    fn start_session(
        &self,
        user: UserId,
        session: &NewSession,
        max_per_user: u32,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut inner = self.check()?;
        if !inner.users.iter().any(|c| c.user.id == user) {
            return Err(StoreError::Query(crate::store::cause("foreign key: no such user")));
        }
        inner.insert_session(user, session, max_per_user);
        inner.record(event, event.kind, None);
        Ok(())
    }

    fn rotate(
        &self,
        claim: RefreshClaim,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
        event: &NewEvent,
    ) -> Result<RotateOutcome, StoreError> {
        let mut inner = self.check()?;
        let Some(s) = inner.sessions.iter_mut().find(|s| s.id == claim.session) else {
            return Ok(RotateOutcome::Invalid);
        };
        if !s.live(now, policy) {
            return Ok(RotateOutcome::Invalid);
        }
        let user_id = s.user_id;
        let outcome = if s.generation == claim.generation {
            s.generation += 1;
            s.rotated_at = Some(now);
            s.last_active_at = now;
            s.info.last_active_on = now;
            RotateOutcome::Rotated { user_id, generation: s.generation }
        } else {
            match policy.judge_stale(claim.generation, s.generation, s.rotated_at, now) {
                StaleRefresh::Grace => RotateOutcome::Grace { user_id, generation: s.generation },
                StaleRefresh::Reuse => {
                    s.end(now, EndReason::Reuse);
                    RotateOutcome::Reused { user_id }
                }
                StaleRefresh::Invalid => RotateOutcome::Invalid,
            }
        };
        match outcome {
            RotateOutcome::Rotated { .. } | RotateOutcome::Grace { .. } => {
                inner.record(event, EventKind::Refresh, Some(user_id));
            }
            RotateOutcome::Reused { .. } => inner.record(event, EventKind::RefreshReuseDetected, Some(user_id)),
            RotateOutcome::Invalid => {}
        }
        Ok(outcome)
    }

    fn live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        let inner = self.check()?;
        let mut live: Vec<&StoredSession> =
            inner.sessions.iter().filter(|s| s.user_id == user && s.live(now, policy)).collect();
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.to_string().cmp(&a.id.to_string())));
        Ok(live.into_iter().map(|s| s.info.clone()).collect())
    }

    fn end_session(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
        reason: EndReason,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        match inner.sessions.iter_mut().find(|s| s.id == session && s.user_id == user && s.ended_at.is_none()) {
            Some(s) => {
                s.end(now, reason);
                inner.record(event, event.kind, None);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn end_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
        reason: EndReason,
        event: &NewEvent,
    ) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let ended = inner.end_sessions(user, except, now, reason);
        inner.record(event, event.kind, None);
        Ok(ended)
    }

    fn prune_sessions(
        &self,
        ended_before: DateTime<Utc>,
        inactive_before: DateTime<Utc>,
        started_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|s| {
            !(s.ended_at.is_some_and(|at| at < ended_before)
                || s.last_active_at < inactive_before
                || s.created_at < started_before)
        });
        Ok((before - inner.sessions.len()) as u64)
    }
}

impl ThrottleStore for MemoryStore {
    fn reserve_attempt(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<Reserved, StoreError> {
        let mut inner = self.check()?;
        let blocked = keys
            .iter()
            .filter_map(|key| inner.counters.get(&key.id).and_then(|c| c.blocked_until))
            .filter(|until| *until > now)
            .max();
        if let Some(until) = blocked {
            return Ok(Reserved::Blocked { until });
        }
        let mut counted = Vec::with_capacity(keys.len());
        for key in keys {
            let counter = inner.counters.entry(key.id.clone()).or_insert(Counter {
                email: key.email.clone(),
                window_started_at: now,
                count: 0,
                blocked_until: None,
            });
            if counter.window_started_at + key.limit.window <= now {
                counter.window_started_at = now;
                counter.count = 0;
            }
            counter.count += 1;
            if let Some(until) = key.limit.blocked_until(counter.count, counter.window_started_at, now) {
                counter.blocked_until = Some(until);
            }
            counted.push(Counted {
                attempts: counter.count,
                window_started_at: counter.window_started_at,
                blocked_until: counter.blocked_until,
            });
        }
        Ok(Reserved::Counted(counted))
    }

    fn release_attempt(
        &self,
        clear: &[ThrottleKey],
        release: &[ThrottleKey],
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.check()?;
        for key in clear {
            inner.counters.remove(&key.id);
        }
        for key in release {
            if let Some(counter) = inner.counters.get_mut(&key.id) {
                counter.count = counter.count.saturating_sub(1);
                if counter.count < u64::from(key.limit.max) {
                    counter.blocked_until = None;
                }
                if counter.count == 0 {
                    inner.counters.remove(&key.id);
                }
            }
        }
        Ok(())
    }

    fn clear_email_counters(&self, email: &str) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let before = inner.counters.len();
        inner.counters.retain(|_, c| c.email.as_deref() != Some(email));
        Ok((before - inner.counters.len()) as u64)
    }

    fn prune_counters(&self, window_ended_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let before = inner.counters.len();
        inner.counters.retain(|_, c| {
            c.window_started_at >= window_ended_before || c.blocked_until.is_some_and(|until| until > now)
        });
        Ok((before - inner.counters.len()) as u64)
    }
}

impl KeyStore for MemoryStore {
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let inner = self.check()?;
        self.key_reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut keys = inner.keys.clone();
        keys.sort_by_key(|k| k.signs_from);
        Ok(keys)
    }

    fn add_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        if inner.keys.iter().any(|k| k.previous_kid == key.previous_kid || k.kid == key.kid) {
            return Ok(false);
        }
        inner.keys.push(key.clone());
        if let Some(event) = key.rotation_event() {
            inner.record(&event, event.kind, None);
        }
        Ok(true)
    }

    fn revoke_signing_key(&self, kid: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let Some(key) = inner.keys.iter_mut().find(|k| k.kid == kid && k.revoked_at.is_none()) else {
            return Ok(false);
        };
        key.revoked_at = Some(at);
        inner.record(&NewEvent::system(EventKind::KeyRevoked, at), EventKind::KeyRevoked, None);
        Ok(true)
    }
}

impl MemoryStore {
    /// The stored signing keys, as a database dump would show them.
    pub fn stored_keys(&self) -> Vec<StoredKey> {
        self.inner.lock().unwrap().keys.clone()
    }

    /// Replaces a stored key (to tamper with it).
    pub fn replace_key(&self, key: StoredKey) {
        let mut inner = self.inner.lock().unwrap();
        inner.keys.retain(|k| k.kid != key.kid);
        inner.keys.push(key);
    }
}

impl EventStore for MemoryStore {
    fn record_event(&self, event: &NewEvent, aggregate: Option<&str>) -> Result<(), StoreError> {
        let mut inner = self.check()?;
        if let Some(key) = aggregate
            && let Some((row, _)) = inner.events.iter_mut().find(|(_, k)| k.as_deref() == Some(key))
        {
            row.count += 1;
            row.at = event.at;
            return Ok(());
        }
        inner.record(event, event.kind, None);
        if let Some(last) = inner.events.last_mut() {
            last.1 = aggregate.map(str::to_owned);
        }
        Ok(())
    }

    fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let inner = self.check()?;
        let owner = |e: &Event| {
            e.user_id.and_then(|id| inner.users.iter().find(|c| c.user.id == id)).map(|c| c.user.email.as_str())
        };
        let past_ids: Vec<UserId> = inner
            .events
            .iter()
            .filter(|(e, _)| query.email.is_some() && e.email == query.email)
            .filter_map(|(e, _)| e.user_id)
            .collect();
        let mut events: Vec<Event> = inner
            .events
            .iter()
            .rev()
            .map(|(e, _)| e)
            .filter(|e| query.since.is_none_or(|since| e.at >= since))
            .filter(|e| {
                query.email.as_deref().is_none_or(|email| {
                    e.email.as_deref() == Some(email)
                        || owner(e) == Some(email)
                        || e.user_id.is_some_and(|id| past_ids.contains(&id))
                })
            })
            .map(|e| Event {
                email: e.email.clone().or_else(|| owner(e).map(str::to_owned)).or_else(|| query.email.clone()),
                ..e.clone()
            })
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        events.truncate(query.limit as usize);
        Ok(events)
    }

    fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let count = inner.events.len();
        inner.events.retain(|(e, _)| e.at >= before);
        Ok((count - inner.events.len()) as u64)
    }
}

impl RevocationStore for MemoryStore {
    fn logout(
        &self,
        revocation: &NewRevocation,
        session: Option<SessionId>,
        scope: LogoutScope,
        event: &NewEvent,
    ) -> Result<RevokeOutcome, StoreError> {
        let mut inner = self.check()?;
        if !inner.users.iter().any(|c| c.user.id == revocation.user_id) {
            return Ok(RevokeOutcome::UnknownUser);
        }
        if let Some(sid) = session {
            match inner.sessions.iter().find(|s| s.id == sid && s.user_id == revocation.user_id) {
                None => return Ok(RevokeOutcome::UnknownUser),
                Some(s) if s.ended_at.is_some() => return Ok(RevokeOutcome::AlreadyRevoked),
                Some(_) => {}
            }
        }
        if scope != LogoutScope::Others {
            if inner.revoked.contains_key(&revocation.jti) {
                return Ok(RevokeOutcome::AlreadyRevoked);
            }
            inner.revoked.insert(revocation.jti.clone(), revocation.clone());
        }
        let (user, now) = (revocation.user_id, revocation.revoked_at);
        match (scope, session) {
            (LogoutScope::Local, Some(sid)) => {
                inner.sessions.iter_mut().filter(|s| s.id == sid).for_each(|s| s.end(now, EndReason::Logout));
            }
            (LogoutScope::Local, None) => {}
            (LogoutScope::Others, keep) => {
                inner.end_sessions(user, keep, now, EndReason::Logout);
            }
            (LogoutScope::Global, _) => {
                inner.end_sessions(user, None, now, EndReason::Logout);
            }
        }
        inner.record(event, event.kind, None);
        Ok(RevokeOutcome::Revoked)
    }

    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let before = inner.revoked.len();
        inner.revoked.retain(|_, r| r.expires_at >= now);
        Ok((before - inner.revoked.len()) as u64)
    }
}

/// A clock the test moves by hand.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: chrono::TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl crate::clock::Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// An `AuthService` over a fresh `MemoryStore`: bcrypt at `cost`, one-hour HS256 tokens, the default
/// password and session policies, time from `clock`.
pub fn memory_service(
    cost: u32,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> (crate::AuthService, std::sync::Arc<MemoryStore>) {
    let store = std::sync::Arc::new(MemoryStore::default());
    (memory_service_over(store.clone(), cost, clock), store)
}

/// The same over an existing store (a second instance, or one configured differently).
pub fn memory_service_over(
    store: std::sync::Arc<MemoryStore>,
    cost: u32,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> crate::AuthService {
    memory_service_hashing(store, cost, clock, auth_bcrypt::Bcrypt::inline())
}

/// The same with the hashes computed where `bcrypt` says (an engine, as in the server).
pub fn memory_service_hashing(
    store: std::sync::Arc<MemoryStore>,
    cost: u32,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    bcrypt: auth_bcrypt::Bcrypt,
) -> crate::AuthService {
    let secret = secrecy::SecretString::from("in-memory-test-secret-0123456789abcdef");
    let settings = crate::TokenSettings { issuer: "auth-service".into(), access_ttl_secs: 3600, leeway_secs: 0 };
    let access = crate::TokenCodec::new(&settings, crate::Signer::hs256(&secret).expect("a secret"))
        .expect("valid token settings");
    let passwords = crate::Passwords {
        hasher: crate::PasswordHasher::with_bcrypt(cost, bcrypt).expect("valid bcrypt cost"),
        policy: crate::PasswordPolicy::default(),
    };
    let tokens = crate::Tokens {
        access,
        refresh: crate::RefreshTokenCodec::new(&secret),
        sessions: SessionPolicy::default(),
        unparsed: crate::UnparsedText::new(&secret),
    };
    crate::AuthService::new(crate::Stores::all(store), passwords, tokens, clock)
}

impl AccountStore for MemoryStore {
    fn queue_mail(
        &self,
        user: Option<UserId>,
        link: Option<&NewLink>,
        mails: &[NewMail],
        cap: &MailCap,
        event: &NewEvent,
    ) -> Result<Queued, StoreError> {
        let mut inner = self.check()?;
        let capped = mails.iter().any(|m| {
            let sent = inner.outbox.iter().filter(|o| o.mail.recipient == m.recipient && o.mail.created_at > cap.since);
            sent.count() >= cap.per_address as usize
        });
        if capped {
            return Ok(Queued::Capped);
        }
        if let Some(link) = link {
            inner.add_link(link, user);
        }
        for mail in mails {
            inner.add_mail(mail, user);
        }
        inner.record(event, event.kind, user);
        Ok(Queued::Queued)
    }

    fn find_link(&self, hash: &LinkHash) -> Result<Option<StoredLink>, StoreError> {
        Ok(self.check()?.links.iter().find(|l| &l.hash == hash).map(|l| StoredLink {
            kind: l.kind,
            user_id: l.user_id,
            email: l.email.clone(),
            expires_at: l.expires_at,
            used: l.used_at.is_some(),
            voided: l.voided_at.is_some(),
        }))
    }

    fn verify_email(
        &self,
        hash: &LinkHash,
        now: DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<Option<UserId>, StoreError> {
        let mut inner = self.check()?;
        let Some((user, email)) = inner.use_link(hash, LinkKind::Verify, now) else {
            return Ok(None);
        };
        if let Some(c) = inner.users.iter_mut().find(|c| c.user.id == user && c.user.email.as_str() == email) {
            c.user.email_verified_at.get_or_insert(now);
        }
        let event = NewEvent { email: Some(email), ..event.clone() };
        inner.record(&event, event.kind, Some(user));
        Ok(Some(user))
    }

    fn reset_password(
        &self,
        hash: &LinkHash,
        password: &PasswordHash,
        now: DateTime<Utc>,
        notice: &NewMail,
        event: &NewEvent,
    ) -> Result<Option<UserId>, StoreError> {
        let mut inner = self.check()?;
        let Some((user, _)) = inner.use_link(hash, LinkKind::Reset, now) else {
            return Ok(None);
        };
        let Some(c) = inner.users.iter_mut().find(|c| c.user.id == user) else {
            return Ok(None);
        };
        c.password_hash = password.clone();
        c.user.email_verified_at.get_or_insert(now);
        inner.end_sessions(user, None, now, EndReason::PasswordReset);
        inner.void_links(user, &[LinkKind::Reset], now);
        inner.add_mail(notice, Some(user));
        inner.record(event, event.kind, Some(user));
        Ok(Some(user))
    }

    fn change_email(&self, hash: &LinkHash, now: DateTime<Utc>, event: &NewEvent) -> Result<EmailChanged, StoreError> {
        let mut inner = self.check()?;
        let Some(link) = inner.links.iter().find(|l| &l.hash == hash).cloned() else {
            return Ok(EmailChanged::Invalid);
        };
        let (Some(user), true) = (link.user_id, link.kind == LinkKind::Change) else {
            return Ok(EmailChanged::Invalid);
        };
        if link.used_at.is_some() || link.voided_at.is_some() || link.expires_at <= now {
            return Ok(EmailChanged::Invalid);
        }
        let Ok(new) = Email::parse(&link.email) else {
            return Err(StoreError::Corrupt(format!("email_tokens.email {:?} does not parse", link.email)));
        };
        if inner.users.iter().any(|c| c.user.email == new) {
            return Ok(EmailChanged::Taken);
        }
        let Some(c) = inner.users.iter_mut().find(|c| c.user.id == user) else {
            return Ok(EmailChanged::Invalid);
        };
        let old = c.user.email.as_str().to_owned();
        c.user.email = new.clone();
        c.user.email_verified_at = Some(now);
        inner.use_link(hash, LinkKind::Change, now);
        inner.void_links(user, &[LinkKind::Verify, LinkKind::Reset, LinkKind::Change], now);
        let event = NewEvent { email: Some(new.as_str().to_owned()), ..event.clone() };
        inner.record(&event, event.kind, Some(user));
        Ok(EmailChanged::Changed { user_id: user, old, new: new.as_str().to_owned() })
    }

    fn delete_account(&self, email: &Email, event: &NewEvent) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let Some(id) = inner.users.iter().find(|c| &c.user.email == email).map(|c| c.user.id) else {
            return Ok(false);
        };
        inner.remove_user(id);
        inner.counters.retain(|_, c| c.email.as_deref() != Some(email.as_str()));
        inner.outbox.retain(|m| !(m.mail.user_id == Some(id) && m.state == OutboxState::Queued));
        for (e, _) in inner.events.iter_mut() {
            if e.user_id == Some(id) || e.email.as_deref() == Some(email.as_str()) {
                e.email = None;
            }
        }
        inner.record(event, event.kind, Some(id));
        Ok(true)
    }

    fn prune_links(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let count = inner.links.len();
        inner.links.retain(|l| l.expires_at >= before);
        Ok((count - inner.links.len()) as u64)
    }
}

impl OutboxStore for MemoryStore {
    fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, StoreError> {
        let mut inner = self.check()?;
        let mut due: Vec<&mut MemoryMail> =
            inner.outbox.iter_mut().filter(|m| m.state == OutboxState::Queued && m.next_attempt_at <= now).collect();
        due.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|m| {
                m.attempts += 1;
                m.next_attempt_at = lease_until;
                ClaimedMail {
                    id: m.id,
                    kind: m.mail.kind.as_str().to_owned(),
                    recipient: m.mail.recipient.clone(),
                    sealed_link: m.mail.sealed_link.clone(),
                    detail: m.mail.detail.clone(),
                    attempt: m.attempts,
                    give_up_at: m.mail.give_up_at,
                }
            })
            .collect())
    }

    fn mail_sent(&self, id: i64, attempt: u64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let row =
            inner.outbox.iter_mut().find(|m| m.id == id && m.attempts == attempt && m.state == OutboxState::Queued);
        Ok(row
            .map(|m| {
                m.state = OutboxState::Sent;
                m.sent_at = Some(now);
                m.mail.sealed_link = None;
            })
            .is_some())
    }

    fn mail_failed(
        &self,
        id: i64,
        attempt: u64,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let row =
            inner.outbox.iter_mut().find(|m| m.id == id && m.attempts == attempt && m.state == OutboxState::Queued);
        Ok(row
            .map(|m| {
                m.last_error = Some(error.to_owned());
                match retry_at {
                    Some(at) => m.next_attempt_at = at,
                    None => m.state = OutboxState::Dead,
                }
            })
            .is_some())
    }

    fn outbox_rows(&self, state: Option<&str>, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        let inner = self.check()?;
        let mut rows: Vec<OutboxRow> = inner
            .outbox
            .iter()
            .filter(|m| state.is_none_or(|s| m.state.as_str() == s))
            .map(|m| OutboxRow {
                id: m.id,
                kind: m.mail.kind.as_str().to_owned(),
                recipient: m.mail.recipient.clone(),
                state: m.state.as_str().to_owned(),
                attempts: m.attempts,
                created_at: m.mail.created_at,
                next_attempt_at: m.next_attempt_at,
                sent_at: m.sent_at,
                last_error: m.last_error.clone(),
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.truncate(limit as usize);
        Ok(rows)
    }

    fn retry_mail(&self, id: i64, now: DateTime<Utc>, give_up_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let row =
            inner.outbox.iter_mut().find(|m| m.id == id && matches!(m.state, OutboxState::Queued | OutboxState::Dead));
        Ok(row
            .map(|m| {
                m.state = OutboxState::Queued;
                m.next_attempt_at = now;
                m.mail.give_up_at = give_up_at;
            })
            .is_some())
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let inner = self.check()?;
        let count = |state| inner.outbox.iter().filter(|m| m.state == state).count() as u64;
        Ok(OutboxCounts { queued: count(OutboxState::Queued), dead: count(OutboxState::Dead) })
    }

    fn prune_mail(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let count = inner.outbox.len();
        inner.outbox.retain(|m| m.state == OutboxState::Queued || m.mail.created_at >= before);
        Ok((count - inner.outbox.len()) as u64)
    }
}

/// The feed's rows are written by the database's triggers; the in-memory store keeps none.
impl crate::feed::FeedStore for MemoryStore {
    fn feed_after(&self, _after: i64, _through: i64, _limit: u32) -> Result<Vec<crate::feed::FeedRow>, StoreError> {
        drop(self.check()?);
        Ok(Vec::new())
    }

    fn feed_first_id(&self) -> Result<Option<i64>, StoreError> {
        drop(self.check()?);
        Ok(None)
    }

    fn feed_last_id(&self) -> Result<Option<i64>, StoreError> {
        drop(self.check()?);
        Ok(None)
    }

    fn prune_feed(&self, _sessions: DateTime<Utc>, _tokens: DateTime<Utc>) -> Result<u64, StoreError> {
        drop(self.check()?);
        Ok(0)
    }
}
