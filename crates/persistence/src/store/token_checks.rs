//! The token check: one statement for one token, and for the checks of concurrent requests on PostgreSQL
//! one statement for them all: the lookups go in as three arrays, unnested with their positions, so a
//! batch of any size is one prepared statement and one round trip (a test runs both on the same cases).

use crate::connection::{DbConnection, drop_pg_if_lost};
use crate::error::query_failed;
use crate::rows::AccountRow;
use auth_domain::{LiveAfter, SessionId, SessionState, StoreError, TokenCheck, TokenId, TokenLookup, UserId};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamp, Untyped};
use diesel::sqlite::Sqlite;

// The session subquery's values, the same in both statements.
const SESSION_LIVE: i32 = 0;
const SESSION_TOKEN_REVOKED: i32 = 1;
const SESSION_ENDED: i32 = 2;

/// The token check on a connection already had (SQLite's: PostgreSQL checks every batch in one
/// statement, `check_tokens_pg`). A session past `live` (idle or absolute lifetime) is ended, as one
/// that was ended.
pub(super) fn check_token_on(
    conn: &mut DbConnection,
    id: UserId,
    jti: &TokenId,
    session: Option<SessionId>,
    live: LiveAfter,
) -> Result<Option<TokenCheck>, StoreError> {
    let sqlite = match conn {
        DbConnection::Sqlite(sqlite) => sqlite,
        DbConnection::Pg(pg) => {
            let lookup = TokenLookup { user_id: id, jti: jti.clone(), session };
            return Ok(check_tokens_pg(pg, std::slice::from_ref(&lookup), live)?.pop().flatten());
        }
    };
    let session_id = session.map(|s| s.to_string());
    let query = SqliteTokenCheck {
        user_id: id.0,
        jti: jti.as_str(),
        session_id: session_id.as_deref(),
        active_after: sqlite_time(live.active_after.naive_utc()),
        started_after: sqlite_time(live.started_after.naive_utc()),
    };
    let Some((id, email, registered_on, admin, verified_at, revoked, session_state)) =
        query.load::<SqliteTokenCheckRow>(sqlite).map_err(query_failed)?.pop()
    else {
        return Ok(None);
    };
    let (revoked, state) = match session {
        None => (revoked, SessionState::NotNamed),
        Some(_) => session_verdict(session_state),
    };
    let registered_on = parse_sqlite_time(&registered_on).ok_or_else(|| {
        StoreError::Corrupt(format!("users.registered_on of user {id} is not a time: {registered_on:?}"))
    })?;
    let email_verified_at = match verified_at {
        None => None,
        Some(text) => Some(parse_sqlite_time(&text).ok_or_else(|| {
            StoreError::Corrupt(format!("users.email_verified_at of user {id} is not a time: {text:?}"))
        })?),
    };
    let account = AccountRow { id, email, registered_on, admin, email_verified_at };
    Ok(Some(TokenCheck { user: account.into_user()?, revoked, session: state }))
}

// The statement is fixed text, so the connection prepares it once and keeps it: built with diesel's
// query builder it was assembled again for every request, and with the session's lifetime cut-offs
// (two more timestamps, formatted by chrono) it cost status 15 % of its CPU time (docs/BENCHMARKS.md).
// Lazy CASEs as in the batch statement; `?`s in order: session id, jti, active after, started after,
// jti, session id, user id.
const SQLITE_CHECK: &str = "SELECT u.id, u.email, u.registered_on, u.admin, u.email_verified_at, \
     CASE WHEN ? IS NULL THEN EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?) ELSE 0 END AS revoked, \
     (SELECT CASE WHEN s.ended_at IS NOT NULL OR s.last_active_at <= ? OR s.created_at <= ? THEN 2 \
                  WHEN s.tokens_revoked AND EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?) THEN 1 \
                  ELSE 0 END \
      FROM sessions s WHERE s.id = ? AND s.user_id = u.id) AS session_state \
     FROM users u WHERE u.id = ?";

struct SqliteTokenCheck<'a> {
    user_id: i64,
    jti: &'a str,
    session_id: Option<&'a str>,
    active_after: String,
    started_after: String,
}

impl QueryFragment<Sqlite> for SqliteTokenCheck<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let mut parts = SQLITE_CHECK.split('?');
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<Nullable<Text>, _>(&self.session_id)?;
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<Text, _>(self.jti)?;
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<Text, _>(&self.active_after)?;
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<Text, _>(&self.started_after)?;
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<Text, _>(self.jti)?;
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<Nullable<Text>, _>(&self.session_id)?;
        out.push_sql(parts.next().unwrap_or_default());
        out.push_bind_param::<BigInt, _>(&self.user_id)?;
        out.push_sql(parts.next().unwrap_or_default());
        Ok(())
    }
}

struct SqliteTokenCheckId;

impl QueryId for SqliteTokenCheck<'_> {
    type QueryId = SqliteTokenCheckId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for SqliteTokenCheck<'_> {
    /// Read by position: the user's id, email, registered_on (text, as diesel stores a timestamp in
    /// SQLite: `sqlite_time`), admin flag and email_verified_at, whether the token is revoked, the
    /// session's state.
    type SqlType = (BigInt, Text, Text, Bool, Nullable<Text>, Bool, Nullable<Integer>);
}

impl RunQueryDsl<SqliteConnection> for SqliteTokenCheck<'_> {}

type SqliteTokenCheckRow = (i64, String, String, bool, Option<String>, bool, Option<i32>);

/// A time as diesel writes it into SQLite (`%F %T%.f`: the fraction, when there is one, in 3, 6 or 9
/// digits), without chrono's format machinery: the statement compares it, as text, with the stored ones.
fn sqlite_time(at: chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    if !(0..=9999).contains(&at.year()) || at.nanosecond() >= 1_000_000_000 {
        // years chrono writes with a sign, and leap seconds
        return at.format("%F %T%.f").to_string();
    }
    let (y, mo, d, h, mi, s) = (at.year(), at.month(), at.day(), at.hour(), at.minute(), at.second());
    let nanos = at.nanosecond();
    if nanos == 0 {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    } else if nanos.is_multiple_of(1_000_000) {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:06}", nanos / 1_000)
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{nanos:09}")
    }
}

/// What `sqlite_time` (or diesel) wrote; `None` for anything else.
fn parse_sqlite_time(text: &str) -> Option<chrono::NaiveDateTime> {
    let b = text.as_bytes();
    let shape = b.len() == 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':';
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if shape {
        let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?);
        let time = chrono::NaiveTime::from_hms_opt(number(11..13)?, number(14..16)?, number(17..19)?);
        if let (Some(date), Some(time)) = (date, time) {
            return Some(date.and_time(time));
        }
    }
    chrono::NaiveDateTime::parse_from_str(text, "%F %T%.f").ok()
}

/// What the session subquery's value says: whether the token is revoked, and the session's state.
fn session_verdict(state: Option<i32>) -> (bool, SessionState) {
    match state {
        None => (false, SessionState::Missing),
        Some(SESSION_ENDED) => (false, SessionState::Ended),
        Some(SESSION_TOKEN_REVOKED) => (true, SessionState::Live),
        Some(_) => (false, SessionState::Live),
    }
}

/// Reads the whole batch; `None` where the token's user no longer exists.
pub(super) fn check_tokens_pg(
    conn: &mut PgConnection,
    tokens: &[TokenLookup],
    live: LiveAfter,
) -> Result<Vec<Option<TokenCheck>>, StoreError> {
    let query = TokenChecks {
        active_after: live.active_after.naive_utc(),
        started_after: live.started_after.naive_utc(),
        user_ids: tokens.iter().map(|t| t.user_id.0).collect(),
        jtis: tokens.iter().map(|t| t.jti.as_str()).collect(),
        sessions: tokens.iter().map(|t| t.session.map(|s| s.to_string())).collect(),
    };
    let rows = query.load::<TokenCheckRow>(conn);
    let rows = drop_pg_if_lost(conn, rows).map_err(query_failed)?;
    let mut checks: Vec<Option<TokenCheck>> = vec![None; tokens.len()];
    for row in rows {
        let index = usize::try_from(row.position).ok().and_then(|p| p.checked_sub(1)).filter(|&i| i < tokens.len());
        let Some(index) = index else {
            return Err(StoreError::Corrupt(format!("token check for position {} of {}", row.position, tokens.len())));
        };
        let (revoked, session) = match tokens[index].session {
            Some(_) => session_verdict(row.session_state),
            None => (row.revoked, SessionState::NotNamed),
        };
        checks[index] = Some(TokenCheck { user: row.user.into_user()?, revoked, session });
    }
    Ok(checks)
}

struct TokenChecks<'a> {
    active_after: chrono::NaiveDateTime,
    started_after: chrono::NaiveDateTime,
    user_ids: Vec<i64>,
    jtis: Vec<&'a str>,
    sessions: Vec<Option<String>>,
}

#[derive(QueryableByName)]
struct TokenCheckRow {
    #[diesel(sql_type = BigInt)]
    position: i64,
    #[diesel(embed)]
    user: AccountRow,
    /// For a token without a session: whether it is revoked.
    #[diesel(sql_type = Bool)]
    revoked: bool,
    /// For a token with one: NULL when the user has no such session, else its state.
    #[diesel(sql_type = Nullable<Integer>)]
    session_state: Option<i32>,
}

// Lazy CASEs as in the single check: the revocation list is read for a token without a session, and for
// a live session only when it has revoked tokens. The numbers are the session states above:
const _: () = assert!(SESSION_ENDED == 2 && SESSION_TOKEN_REVOKED == 1 && SESSION_LIVE == 0);
const SQL_HEAD: &str = "SELECT q.position, u.id, u.email, u.registered_on, u.admin, u.email_verified_at, \
     CASE WHEN q.session_id IS NULL THEN EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = q.jti) \
          ELSE false END AS revoked, \
     (SELECT CASE WHEN s.ended_at IS NOT NULL OR s.last_active_at <= ";
const SQL_STARTED: &str = " OR s.created_at <= ";
const SQL_TAIL: &str = " THEN 2 \
                  WHEN s.tokens_revoked AND EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = q.jti) THEN 1 \
                  ELSE 0 END \
      FROM sessions s WHERE s.id = q.session_id AND s.user_id = q.user_id) AS session_state \
     FROM unnest(";

impl QueryFragment<Pg> for TokenChecks<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(SQL_HEAD);
        out.push_bind_param::<Timestamp, _>(&self.active_after)?;
        out.push_sql(SQL_STARTED);
        out.push_bind_param::<Timestamp, _>(&self.started_after)?;
        out.push_sql(SQL_TAIL);
        out.push_bind_param::<Array<BigInt>, _>(&self.user_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.jtis)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.sessions)?;
        out.push_sql(") WITH ORDINALITY AS q(user_id, jti, session_id, position) JOIN users u ON u.id = q.user_id");
        Ok(())
    }
}

/// The SQL is the same for every batch, so the connection prepares it once and keeps it.
struct TokenChecksId;

impl QueryId for TokenChecks<'_> {
    type QueryId = TokenChecksId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for TokenChecks<'_> {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for TokenChecks<'_> {}

#[cfg(test)]
mod tests {
    use super::{parse_sqlite_time, sqlite_time};
    use chrono::{DateTime, NaiveDateTime};

    #[test]
    fn times_are_written_and_read_as_diesel_does() {
        for (secs, nanos) in [
            (0, 0),
            (1_764_417_600, 0),
            (1_764_417_600, 5_000_000),
            (1_764_417_600, 120_000),
            (1_764_417_600, 123_456_789),
            (-62_135_596_800, 0),
            (-62_135_596_801, 7),
            (253_402_300_799, 0),
            (253_402_300_800, 0),
        ] {
            let at: NaiveDateTime = DateTime::from_timestamp(secs, nanos).unwrap().naive_utc();
            let diesel = at.format("%F %T%.f").to_string();
            assert_eq!(sqlite_time(at), diesel, "{at:?}");
            if nanos == 0 && (0..=9999).contains(&chrono::Datelike::year(&at)) {
                assert_eq!(parse_sqlite_time(&diesel), Some(at), "{diesel}");
            }
        }
        for bad in ["", "2026-12-04", "2026-13-04 00:00:00", "2026-12-04 24:00:00", "2026-12-04T0x:00:00", "nonsense"] {
            assert_eq!(parse_sqlite_time(bad), None, "{bad}");
        }
    }
}
