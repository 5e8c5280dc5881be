use super::DieselStore;
use crate::connection::{DbConnection, on_backend};
use crate::error::query_failed;
use crate::schema::{auth_events, users};
use auth_domain::{Event, EventKind, EventQuery, EventStore, NewEvent, StoreError, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;

/// Stores `event` as `kind` (with `user_id` over the event's own, when given): a statement of the caller's
/// transaction, so the event and the change it records commit together.
pub(super) fn insert_event(
    conn: &mut DbConnection,
    event: &NewEvent,
    kind: EventKind,
    user_id: Option<UserId>,
) -> QueryResult<usize> {
    diesel::insert_into(auth_events::table)
        .values((
            auth_events::at.eq(event.at.naive_utc()),
            auth_events::kind.eq(kind.as_str()),
            auth_events::user_id.eq(user_id.or(event.user_id).map(|id| id.0)),
            auth_events::email.eq(event.email.as_deref()),
            auth_events::ip.eq(event.client.ip.as_deref()),
            auth_events::user_agent.eq(event.client.user_agent.as_deref()),
            auth_events::session_id.eq(event.session_id.map(|s| s.to_string())),
        ))
        .execute(conn)
}

type EventRow = (
    NaiveDateTime,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
);

impl EventStore for DieselStore {
    fn record_event(&self, event: &NewEvent, aggregate: Option<&str>) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let Some(key) = aggregate else {
            let inserted = insert_event(&mut conn, event, event.kind, None);
            return self.track(inserted).map(|_| ()).map_err(query_failed);
        };
        let row = (
            auth_events::at.eq(event.at.naive_utc()),
            auth_events::kind.eq(event.kind.as_str()),
            auth_events::user_id.eq(event.user_id.map(|id| id.0)),
            auth_events::email.eq(event.email.as_deref()),
            auth_events::ip.eq(event.client.ip.as_deref()),
            auth_events::user_agent.eq(event.client.user_agent.as_deref()),
            auth_events::aggregate_key.eq(key),
        );
        // diesel's MultiConnection has no upsert: each backend runs it on its own connection.
        let upserted = on_backend!(&mut *conn, |c| diesel::insert_into(auth_events::table)
            .values(row)
            .on_conflict(auth_events::aggregate_key)
            .do_update()
            .set((auth_events::count.eq(auth_events::count + 1_i64), auth_events::at.eq(excluded(auth_events::at))))
            .execute(c));
        self.track(upserted).map(|_| ()).map_err(query_failed)
    }

    fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let mut select = auth_events::table
            .left_join(users::table.on(auth_events::user_id.eq(users::id.nullable())))
            .select((
                auth_events::at,
                auth_events::kind,
                auth_events::user_id,
                auth_events::email,
                users::email.nullable(),
                auth_events::ip,
                auth_events::user_agent,
                auth_events::count,
                auth_events::session_id,
            ))
            .order((auth_events::at.desc(), auth_events::id.desc()))
            .limit(i64::from(query.limit))
            .into_boxed();
        if let Some(email) = &query.email {
            // The user who has the email now, and whoever had it when an event recorded it (a deleted
            // user's refreshes and logouts name only the user id).
            let past = diesel::alias!(auth_events as past);
            let ids_of_email = past
                .filter(past.field(auth_events::email).eq(email.clone()))
                .filter(past.field(auth_events::user_id).is_not_null())
                .select(past.field(auth_events::user_id));
            select = select.filter(
                auth_events::email
                    .eq(email.clone())
                    .or(users::email.nullable().eq(email.clone()))
                    .or(auth_events::user_id.eq_any(ids_of_email)),
            );
        }
        if let Some(since) = query.since {
            select = select.filter(auth_events::at.ge(since.naive_utc()));
        }
        let rows: Vec<EventRow> = select.load(&mut self.conn()?).map_err(query_failed)?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, user_id, email, owner, ip, user_agent, count, session_id)| Event {
                at: at.and_utc(),
                kind,
                user_id: user_id.map(UserId),
                email: email.or(owner).or_else(|| query.email.clone()),
                ip,
                user_agent,
                session_id,
                count: u64::try_from(count).unwrap_or(0),
            })
            .collect())
    }

    fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.delete_in_batches(|conn, batch| {
            let old = auth_events::table.filter(auth_events::at.lt(before.naive_utc()));
            let ids: Vec<i64> = old.select(auth_events::id).limit(batch).load(conn)?;
            diesel::delete(old.filter(auth_events::id.eq_any(ids))).execute(conn)
        })
    }
}
