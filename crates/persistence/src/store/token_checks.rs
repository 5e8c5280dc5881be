//! The token check: one statement for one token, and for the checks of concurrent requests on PostgreSQL
//! one statement for them all: the lookups go in as three arrays, unnested with their positions, so a
//! batch of any size is one prepared statement and one round trip (a test runs both on the same cases).

use crate::connection::{DbConnection, drop_if_lost, drop_pg_if_lost, on_backend};
use crate::error::query_failed;
use crate::rows::AccountRow;
use crate::schema::{revoked_tokens, sessions, users};
use auth_domain::{LiveAfter, SessionId, SessionState, StoreError, TokenCheck, TokenId, TokenLookup, UserId};
use diesel::dsl::{case_when, exists};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamp, Untyped};

// The session subquery's values, the same in both statements.
const SESSION_LIVE: i32 = 0;
const SESSION_TOKEN_REVOKED: i32 = 1;
const SESSION_ENDED: i32 = 2;

/// The token check on a connection already had. A session past `live` (idle or absolute lifetime) is
/// ended, as one that was ended.
pub(super) fn check_token_on(
    conn: &mut DbConnection,
    id: UserId,
    jti: &TokenId,
    session: Option<SessionId>,
    live: LiveAfter,
) -> Result<Option<TokenCheck>, StoreError> {
    let revoked = exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(jti.as_str())));
    let found = match session {
        None => {
            let found = on_backend!(conn, |c| users::table
                .filter(users::id.eq(id.0))
                .select((AccountRow::as_select(), revoked))
                .first::<(AccountRow, bool)>(c));
            drop_if_lost(conn, found)
        }
        .optional()
        .map_err(query_failed)?
        .map(|(row, revoked)| (row, revoked, SessionState::NotNamed)),
        Some(sid) => {
            // One scalar subquery: NULL when the user has no such session, else its state. The
            // revocation list is read only for a session that has a revoked token and lives on
            // (CASE evaluates lazily on both backends): every other end of a session's tokens is
            // its ended_at, and skipping that index probe is most of what a session costs status.
            let state = sessions::table
                .filter(sessions::id.eq(sid.to_string()))
                .filter(sessions::user_id.eq(id.0))
                .select(
                    case_when(
                        sessions::ended_at
                            .is_not_null()
                            .or(sessions::last_active_at.le(live.active_after.naive_utc()))
                            .or(sessions::created_at.le(live.started_after.naive_utc())),
                        SESSION_ENDED.into_sql::<Integer>(),
                    )
                    .when(sessions::tokens_revoked.and(revoked), SESSION_TOKEN_REVOKED.into_sql::<Integer>())
                    .otherwise(SESSION_LIVE.into_sql::<Integer>()),
                )
                .single_value();
            let found = on_backend!(conn, |c| users::table
                .filter(users::id.eq(id.0))
                .select((AccountRow::as_select(), state))
                .first::<(AccountRow, Option<i32>)>(c));
            drop_if_lost(conn, found).optional().map_err(query_failed)?.map(|(row, state)| {
                let (revoked, session) = session_verdict(state);
                (row, revoked, session)
            })
        }
    };
    found.map(|(row, revoked, session)| Ok(TokenCheck { user: row.into_user()?, revoked, session })).transpose()
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
const SQL_HEAD: &str = "SELECT q.position, u.id, u.email, u.registered_on, u.admin, \
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
