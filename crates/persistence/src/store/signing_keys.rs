use super::DieselStore;
use crate::connection::DbConnection;
use crate::error::{is_unique_violation, query_failed};
use crate::schema::signing_keys;
use auth_domain::{EventKind, KeyStore, NewEvent, StoreError, StoredKey};
use chrono::NaiveDateTime;
use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::prelude::*;

type KeyRow = (String, String, NaiveDateTime, NaiveDateTime, String, String, Option<NaiveDateTime>);

impl KeyStore for DieselStore {
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = signing_keys::table
            .order((signing_keys::signs_from.asc(), signing_keys::kid.asc()))
            .select((
                signing_keys::kid,
                signing_keys::previous_kid,
                signing_keys::created_at,
                signing_keys::signs_from,
                signing_keys::public_key,
                signing_keys::sealed_private_key,
                signing_keys::revoked_at,
            ))
            .load(&mut self.conn()?)
            .map_err(query_failed)?;
        Ok(rows
            .into_iter()
            .map(|(kid, previous_kid, created_at, signs_from, public_key, sealed_private_key, revoked_at)| StoredKey {
                kid,
                previous_kid,
                created_at: created_at.and_utc(),
                signs_from: signs_from.and_utc(),
                public_key,
                sealed_private_key,
                revoked_at: revoked_at.map(|at| at.and_utc()),
            })
            .collect())
    }

    fn add_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
        let inserted = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            diesel::insert_into(signing_keys::table)
                .values((
                    signing_keys::kid.eq(&key.kid),
                    signing_keys::previous_kid.eq(&key.previous_kid),
                    signing_keys::created_at.eq(key.created_at.naive_utc()),
                    signing_keys::signs_from.eq(key.signs_from.naive_utc()),
                    signing_keys::public_key.eq(&key.public_key),
                    signing_keys::sealed_private_key.eq(&key.sealed_private_key),
                ))
                .execute(conn)?;
            if let Some(event) = key.rotation_event() {
                super::events::insert_event(conn, &event, event.kind, None)?;
            }
            Ok(())
        });
        match self.track(inserted) {
            Ok(_) => Ok(true),
            // Another instance added the key that follows the same one first.
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(query_failed(e)),
        }
    }

    fn revoke_signing_key(&self, kid: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let revoked = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let updated = diesel::update(
                signing_keys::table.filter(signing_keys::kid.eq(kid)).filter(signing_keys::revoked_at.is_null()),
            )
            .set(signing_keys::revoked_at.eq(at.naive_utc()))
            .execute(conn)?;
            if updated == 0 {
                return Ok(false);
            }
            let event = NewEvent::system(EventKind::KeyRevoked, at);
            super::events::insert_event(conn, &event, event.kind, None)?;
            Ok(true)
        });
        self.track(revoked).map_err(query_failed)
    }
}
