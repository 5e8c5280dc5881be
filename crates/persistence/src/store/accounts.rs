//! Links by email and the changes they make (`AccountStore`).

use super::DieselStore;
use super::events::insert_event;
use super::sessions::end_sessions;
use crate::connection::DbConnection;
use crate::error::{is_unique_violation, query_failed};
use crate::schema::{attempt_counters, auth_events, email_tokens, outbox, sessions, users};
use auth_domain::{
    AccountStore, Email, EmailChanged, EndReason, LinkHash, LinkKind, MailCap, NewEvent, NewLink, NewMail, OutboxState,
    PasswordHash, Queued, StoreError, StoredLink, UserId,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use diesel::prelude::*;

pub(super) fn insert_link(conn: &mut DbConnection, link: &NewLink, user: Option<UserId>) -> QueryResult<usize> {
    // a newer link of a kind voids the user's older ones (the same statement when there is no user)
    void_links(conn, user, &[link.kind], link.created_at)?;
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::token_hash.eq(link.hash.as_str()),
            email_tokens::kind.eq(link.kind.as_str()),
            email_tokens::user_id.eq(user.map(|u| u.0)),
            email_tokens::email.eq(&link.email),
            email_tokens::created_at.eq(link.created_at.naive_utc()),
            email_tokens::expires_at.eq(link.expires_at.naive_utc()),
        ))
        .execute(conn)
}

pub(super) fn insert_mail(conn: &mut DbConnection, mail: &NewMail, user: Option<UserId>) -> QueryResult<usize> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(mail.kind.as_str()),
            outbox::recipient.eq(&mail.recipient),
            outbox::user_id.eq(mail.user_id.or(user).map(|u| u.0)),
            outbox::sealed_link.eq(mail.sealed_link.as_deref()),
            outbox::detail.eq(mail.detail.as_deref()),
            outbox::state.eq(mail.state.as_str()),
            outbox::created_at.eq(mail.created_at.naive_utc()),
            outbox::next_attempt_at.eq(mail.created_at.naive_utc()),
            outbox::give_up_at.eq(mail.give_up_at.naive_utc()),
        ))
        .execute(conn)
}

/// Voids the user's unused links of these kinds.
fn void_links(
    conn: &mut DbConnection,
    user: Option<UserId>,
    kinds: &[LinkKind],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user.map(|u| u.0)))
            .filter(email_tokens::kind.eq_any(kinds))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::voided_at.is_null()),
    )
    .set(email_tokens::voided_at.eq(now.naive_utc()))
    .execute(conn)
}

/// Uses the link when it is usable as `kind` (one statement: of concurrent uses one wins): its user and
/// the address it went to.
fn use_link(
    conn: &mut DbConnection,
    hash: &LinkHash,
    kind: LinkKind,
    now: DateTime<Utc>,
) -> QueryResult<Option<(i64, String)>> {
    let now = now.naive_utc();
    let used: Vec<(Option<i64>, String)> = diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(hash.as_str()))
            .filter(email_tokens::kind.eq(kind.as_str()))
            .filter(email_tokens::user_id.is_not_null())
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::voided_at.is_null())
            .filter(email_tokens::expires_at.gt(now)),
    )
    .set(email_tokens::used_at.eq(now))
    .returning((email_tokens::user_id, email_tokens::email))
    .load(conn)?;
    Ok(used.into_iter().next().and_then(|(user, email)| user.map(|u| (u, email))))
}

/// Rolls a transaction back while telling the caller what happened (`Capped`, `Taken`).
#[derive(Debug)]
enum Undo<T> {
    With(T),
    Failed(diesel::result::Error),
}

impl<T> From<diesel::result::Error> for Undo<T> {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(e)
    }
}

impl DieselStore {
    /// Runs `body` in a transaction whose `Undo::With` rolls it back and is returned as a value.
    fn transaction_or_undo<T>(
        &self,
        body: impl FnOnce(&mut DbConnection) -> Result<T, Undo<T>>,
    ) -> Result<T, StoreError> {
        match DbConnection::transaction(&mut *self.conn()?, body) {
            Ok(value) | Err(Undo::With(value)) => self.track(Ok(value)),
            Err(Undo::Failed(e)) => self.track(Err(e)),
        }
        .map_err(query_failed)
    }
}

impl AccountStore for DieselStore {
    fn queue_mail(
        &self,
        user: Option<UserId>,
        link: Option<&NewLink>,
        mails: &[NewMail],
        cap: &MailCap,
        event: &NewEvent,
    ) -> Result<Queued, StoreError> {
        self.transaction_or_undo(|conn| {
            // the event first: on SQLite the transaction then holds the write lock before it reads
            insert_event(conn, event, event.kind, user)?;
            for mail in mails {
                if let DbConnection::Pg(pg) = conn {
                    // one address's requests take turns, so that concurrent ones cannot pass the cap
                    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                        .bind::<diesel::sql_types::Text, _>(&mail.recipient)
                        .execute(pg)?;
                }
                let recent: i64 = outbox::table
                    .filter(outbox::recipient.eq(&mail.recipient))
                    .filter(outbox::created_at.gt(cap.since.naive_utc()))
                    .count()
                    .get_result(conn)?;
                if recent >= i64::from(cap.per_address) {
                    return Err(Undo::With(Queued::Capped));
                }
            }
            if let Some(link) = link {
                insert_link(conn, link, user)?;
            }
            for mail in mails {
                insert_mail(conn, mail, user)?;
            }
            Ok(Queued::Queued)
        })
    }

    fn find_link(&self, hash: &LinkHash) -> Result<Option<StoredLink>, StoreError> {
        type LinkRow = (String, Option<i64>, String, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>);
        let row: Option<LinkRow> = email_tokens::table
            .filter(email_tokens::token_hash.eq(hash.as_str()))
            .select((
                email_tokens::kind,
                email_tokens::user_id,
                email_tokens::email,
                email_tokens::expires_at,
                email_tokens::used_at,
                email_tokens::voided_at,
            ))
            .first(&mut *self.conn()?)
            .optional()
            .map_err(query_failed)?;
        row.map(|(kind, user_id, email, expires_at, used_at, voided_at)| {
            let kind = LinkKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("email_tokens.kind {kind:?} is not a link kind")))?;
            Ok(StoredLink {
                kind,
                user_id: user_id.map(UserId),
                email,
                expires_at: expires_at.and_utc(),
                used: used_at.is_some(),
                voided: voided_at.is_some(),
            })
        })
        .transpose()
    }

    fn verify_email(
        &self,
        hash: &LinkHash,
        now: DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<Option<UserId>, StoreError> {
        let verified = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let Some((user, email)) = use_link(conn, hash, LinkKind::Verify, now)? else { return Ok(None) };
            // only the address the link went to: one changed since is not verified by it
            diesel::update(users::table.filter(users::id.eq(user)).filter(users::email.eq(&email)))
                .set(users::email_verified_at.eq(now.naive_utc()))
                .execute(conn)?;
            let event = NewEvent { email: Some(email), ..event.clone() };
            insert_event(conn, &event, event.kind, Some(UserId(user)))?;
            Ok(Some(UserId(user)))
        });
        self.track(verified).map_err(query_failed)
    }

    fn reset_password(
        &self,
        hash: &LinkHash,
        password: &PasswordHash,
        now: DateTime<Utc>,
        notice: &NewMail,
        event: &NewEvent,
    ) -> Result<Option<UserId>, StoreError> {
        let reset = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let Some((user, _)) = use_link(conn, hash, LinkKind::Reset, now)? else { return Ok(None) };
            let id = UserId(user);
            diesel::update(users::table.filter(users::id.eq(user)))
                .set(users::password.eq(password.as_str()))
                .execute(conn)?;
            // the user proved they read the address the link went to
            diesel::update(users::table.filter(users::id.eq(user)).filter(users::email_verified_at.is_null()))
                .set(users::email_verified_at.eq(now.naive_utc()))
                .execute(conn)?;
            end_sessions(conn, id, None, now, EndReason::PasswordReset)?;
            void_links(conn, Some(id), &[LinkKind::Reset], now)?;
            insert_mail(conn, notice, Some(id))?;
            insert_event(conn, event, event.kind, Some(id))?;
            Ok(Some(id))
        });
        self.track(reset).map_err(query_failed)
    }

    fn change_email(&self, hash: &LinkHash, now: DateTime<Utc>, event: &NewEvent) -> Result<EmailChanged, StoreError> {
        self.transaction_or_undo(|conn| {
            let Some((user, new)) = use_link(conn, hash, LinkKind::Change, now)? else {
                return Ok(EmailChanged::Invalid);
            };
            let old: Option<String> =
                users::table.filter(users::id.eq(user)).select(users::email).first(conn).optional()?;
            let Some(old) = old else { return Ok(EmailChanged::Invalid) };
            let moved = diesel::update(users::table.filter(users::id.eq(user)))
                .set((users::email.eq(&new), users::email_verified_at.eq(now.naive_utc())))
                .execute(conn);
            match moved {
                Err(e) if is_unique_violation(&e) => return Err(Undo::With(EmailChanged::Taken)),
                other => other?,
            };
            // links to the old address no longer act on the account
            void_links(conn, Some(UserId(user)), &[LinkKind::Verify, LinkKind::Reset, LinkKind::Change], now)?;
            let event = NewEvent { email: Some(new.clone()), ..event.clone() };
            insert_event(conn, &event, event.kind, Some(UserId(user)))?;
            Ok(EmailChanged::Changed { user_id: UserId(user), old, new })
        })
    }

    fn delete_account(&self, email: &Email, event: &NewEvent) -> Result<bool, StoreError> {
        let deleted = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            // the live sessions end first, so that the revocation feed carries them (its trigger sees an
            // ended session); then sessions, revocations and links go by cascade
            // (an UPDATE first: on SQLite the transaction then holds the write lock before it reads)
            let of_user = users::table.filter(users::email.eq(email.as_str())).select(users::id);
            diesel::update(
                sessions::table.filter(sessions::user_id.eq_any(of_user)).filter(sessions::ended_at.is_null()),
            )
            .set((
                sessions::ended_at.eq(event.at.naive_utc()),
                sessions::end_reason.eq(EndReason::AccountDeleted.as_str()),
            ))
            .execute(conn)?;
            let ids: Vec<i64> =
                diesel::delete(users::table.filter(users::email.eq(email.as_str()))).returning(users::id).load(conn)?;
            let Some(&id) = ids.first() else { return Ok(false) };
            diesel::delete(attempt_counters::table.filter(attempt_counters::email.eq(email.as_str()))).execute(conn)?;
            diesel::delete(
                outbox::table.filter(outbox::user_id.eq(id)).filter(outbox::state.eq(OutboxState::Queued.as_str())),
            )
            .execute(conn)?;
            diesel::update(
                auth_events::table.filter(auth_events::user_id.eq(id).or(auth_events::email.eq(email.as_str()))),
            )
            .set(auth_events::email.eq(None::<String>))
            .execute(conn)?;
            insert_event(conn, event, event.kind, Some(UserId(id)))?;
            Ok(true)
        });
        self.track(deleted).map_err(query_failed)
    }

    fn prune_links(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = before.naive_utc();
        self.delete_in_batches(|conn, batch| {
            let expired = email_tokens::table.filter(email_tokens::expires_at.lt(before));
            let hashes: Vec<String> = expired.select(email_tokens::token_hash).limit(batch).load(conn)?;
            diesel::delete(expired.filter(email_tokens::token_hash.eq_any(hashes))).execute(conn)
        })
    }
}
