use auth_domain::{
    AccountStore, Email, EventKind, EventQuery, EventStore, InsertUserError, KeyStore, LiveAfter, LoginSubject,
    LogoutScope, NewEvent, NewRevocation, NewUser, PasswordHash, Reserved, RevocationStore, RevokeOutcome, SessionId,
    SessionStore, StoreError, StoredKey, ThrottlePolicy, ThrottleStore, TokenCheck, TokenId, TokenLookup, UserId,
    UserStore,
};
use auth_persistence::{DatabaseUrl, DieselStore, PoolSettings, run_migrations};
use auth_testkit::{Backend, TestDatabase, on_both_backends};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::sync::{Arc, Barrier};
use std::time::Duration;

fn settings(url: &str) -> PoolSettings {
    PoolSettings {
        url: DatabaseUrl::parse(url).unwrap(),
        max_size: 4,
        acquire_timeout: Duration::from_secs(5),
        sqlite_busy_timeout_ms: 5000,
        statement_timeout_ms: 5000,
    }
}

fn store(db: &TestDatabase) -> DieselStore {
    let settings = settings(db.url());
    run_migrations(&settings).unwrap();
    DieselStore::open(&settings).unwrap()
}

/// Sessions live at `t0` by the default policy (30 days idle, 90 days in all).
fn live_at_t0() -> LiveAfter {
    LiveAfter { active_after: t0() - TimeDelta::days(30), started_after: t0() - TimeDelta::days(90) }
}

/// The check of one token (a batch of one).
fn check_token(store: &DieselStore, user_id: UserId, jti: &TokenId, session: Option<SessionId>) -> Option<TokenCheck> {
    let lookup = TokenLookup { user_id, jti: jti.clone(), session };
    let mut checks = store.check_tokens(&[lookup], live_at_t0()).unwrap();
    assert_eq!(checks.len(), 1);
    checks.pop().unwrap()
}

/// What status reads for a token without a session: the user and whether the token is revoked.
fn user_with_revocation(store: &DieselStore, id: UserId, jti: &TokenId) -> Option<(auth_domain::User, bool)> {
    check_token(store, id, jti, None).map(|check| {
        assert_eq!(check.session, auth_domain::SessionState::NotNamed);
        (check.user, check.revoked)
    })
}

/// A store over a pool of one connection, migrated.
fn one_connection_store(db: &TestDatabase) -> DieselStore {
    let settings = PoolSettings { max_size: 1, ..settings(db.url()) };
    run_migrations(&settings).unwrap();
    DieselStore::open(&settings).unwrap()
}

/// Counts the statements run from now on by the pool's one connection and, as token checks on SQLite
/// read from the calling thread's own connection, by that one too.
fn count_statements(store: &DieselStore) -> Arc<std::sync::atomic::AtomicUsize> {
    use diesel::connection::{Connection, InstrumentationEvent};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let queries = Arc::new(AtomicUsize::new(0));
    let counter = |queries: Arc<AtomicUsize>| {
        move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                queries.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    store.pool().get().unwrap().set_instrumentation(counter(queries.clone()));
    store.instrument_thread_reader(counter(queries.clone())).unwrap();
    queries
}

/// An event to store with a change (its contents are the domain's business; stores keep them whole).
fn ev(kind: EventKind) -> NewEvent {
    NewEvent::system(kind, Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap())
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        password_hash: PasswordHash::from_stored(
            "$2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa".into(),
        ),
        registered_on: t0(),
        admin: false,
    }
}

fn revocation(user_id: UserId, expires_at: DateTime<Utc>) -> NewRevocation {
    NewRevocation { jti: TokenId::new_random(), user_id, revoked_at: t0(), expires_at }
}

fn migrations_apply_once(backend: Backend) {
    let db = TestDatabase::new(backend);
    let settings = settings(db.url());
    let first = run_migrations(&settings).unwrap();
    assert_eq!(
        first,
        vec![
            "20261129000001".to_owned(),
            "20261129000002".to_owned(),
            "20261130000001".to_owned(),
            "20261130000002".to_owned(),
            "20261130000003".to_owned(),
            "20261130000004".to_owned(),
            "20261130000005".to_owned(),
            "20261130000006".to_owned(),
            "20261204000001".to_owned(),
            "20261205000001".to_owned(),
            "20261205000002".to_owned(),
        ]
    );
    assert!(run_migrations(&settings).unwrap().is_empty());
    assert!(db.users().is_empty());
    assert!(db.revocations().is_empty());
}

fn insert_user_stores_the_row(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    assert_eq!(user.email.as_str(), "joe@gmail.com");
    assert!(!user.admin);
    assert_eq!(user.registered_on, t0());
    let rows = db.users();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, user.id.0);
    assert_eq!(rows[0].email, "joe@gmail.com");
    assert_eq!(rows[0].password, new_user("joe@gmail.com").password_hash.as_str());
    assert_eq!(rows[0].registered_on, t0().naive_utc());
    assert!(!rows[0].admin);
}

fn duplicate_email_is_email_taken(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    assert_eq!(
        store.insert_user(&new_user("JOE@gmail.com"), None, &ev(EventKind::Register), None).unwrap_err(),
        InsertUserError::EmailTaken
    );
    assert_eq!(db.users().len(), 1);
    // the connection that saw the violation is still usable
    assert!(store.find_credentials_by_email(&Email::parse("joe@gmail.com").unwrap()).unwrap().is_some());
}

fn concurrent_inserts_of_one_email_make_one_user(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = Arc::new(store(&db));
    let barrier = Arc::new(Barrier::new(20));
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.insert_user(&new_user("race@gmail.com"), None, &ev(EventKind::Register), None)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(|r| r == &Err(InsertUserError::EmailTaken)), "{results:?}");
    assert_eq!(db.users().len(), 1);
}

fn finds_credentials_by_email(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let found = store.find_credentials_by_email(&Email::parse("Joe@Gmail.com").unwrap()).unwrap().unwrap();
    assert_eq!(found.user, user);
    assert_eq!(found.password_hash, new_user("joe@gmail.com").password_hash);
    assert!(store.find_credentials_by_email(&Email::parse("ann@gmail.com").unwrap()).unwrap().is_none());
}

fn finds_user_with_revocation_in_one_query(backend: Backend) {
    use std::sync::atomic::Ordering;
    let db = TestDatabase::new(backend);
    let store = one_connection_store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let rev = revocation(user.id, t0() + TimeDelta::hours(1));
    assert_eq!(store.logout(&rev, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap(), RevokeOutcome::Revoked);

    let queries = count_statements(&store);
    assert_eq!(user_with_revocation(&store, user.id, &rev.jti), Some((user.clone(), true)));
    assert_eq!(queries.load(Ordering::SeqCst), 1, "the user and the revocation must come in one statement");
    let other = TokenId::new_random();
    assert_eq!(user_with_revocation(&store, user.id, &other), Some((user.clone(), false)));
    assert_eq!(user_with_revocation(&store, UserId(user.id.0 + 1), &rev.jti), None);
    assert_eq!(queries.load(Ordering::SeqCst), 3);
}

fn revoke_stores_one_row_and_reports_repeats(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let rev = revocation(user.id, t0() + TimeDelta::hours(1));
    assert_eq!(store.logout(&rev, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap(), RevokeOutcome::Revoked);
    assert_eq!(
        store.logout(&rev, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap(),
        RevokeOutcome::AlreadyRevoked
    );
    let rows = db.revocations();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].jti, rev.jti.as_str());
    assert_eq!(rows[0].user_id, user.id.0);
    assert_eq!(rows[0].revoked_at, t0().naive_utc());
    assert_eq!(rows[0].expires_at, (t0() + TimeDelta::hours(1)).naive_utc());
}

fn revoke_for_a_missing_user_is_unknown_user(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    assert_eq!(
        store.logout(&revocation(UserId(999), t0()), None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap(),
        RevokeOutcome::UnknownUser
    );
    assert!(db.revocations().is_empty());
}

fn concurrent_revokes_of_one_jti_succeed_once(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = Arc::new(store(&db));
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let rev = revocation(user.id, t0() + TimeDelta::hours(1));
    let barrier = Arc::new(Barrier::new(10));
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (store, barrier, rev) = (store.clone(), barrier.clone(), rev.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.logout(&rev, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap()
            })
        })
        .collect();
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == RevokeOutcome::Revoked).count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == RevokeOutcome::AlreadyRevoked).count(), 9, "{outcomes:?}");
    assert_eq!(db.revocations().len(), 1);
}

fn prune_deletes_only_expired_rows(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let expired = revocation(user.id, t0() - TimeDelta::seconds(1));
    let live = revocation(user.id, t0() + TimeDelta::seconds(1));
    store.logout(&expired, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap();
    store.logout(&live, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap();
    assert_eq!(store.prune_expired(t0()).unwrap(), 1);
    let rows = db.revocations();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].jti, live.jti.as_str());
    assert_eq!(store.prune_expired(t0()).unwrap(), 0);
}

/// A prune deletes in batches (each its own statement, so writers get the database between them) and
/// still deletes every expired row and nothing else.
fn prune_deletes_every_expired_row_in_batches(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db).with_prune_batch(3);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let expired: Vec<_> = (0..7).map(|_| revocation(user.id, t0() - TimeDelta::seconds(1))).collect();
    let live = revocation(user.id, t0() + TimeDelta::seconds(1));
    for rev in expired.iter().chain([&live]) {
        store.logout(rev, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap();
    }
    assert_eq!(store.prune_expired(t0()).unwrap(), 7);
    let rows = db.revocations();
    assert_eq!(rows.iter().map(|r| r.jti.as_str()).collect::<Vec<_>>(), [live.jti.as_str()]);
    // six: two whole batches, then an empty one
    let sessions: Vec<_> = (0..6).map(|i| new_session(t0() + TimeDelta::seconds(i))).collect();
    for s in &sessions {
        store.start_session(user.id, s, 50, &ev(EventKind::LoginSucceeded)).unwrap();
    }
    let later = t0() + TimeDelta::days(400);
    assert_eq!(store.prune_sessions(later, later, later).unwrap(), 6);
    assert!(db.sessions().is_empty());
    assert_eq!(store.prune_events(later).unwrap(), 15, "register, 8 logouts and 6 logins, five batches");
}

fn deleting_a_user_deletes_their_revocations(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    store
        .logout(&revocation(user.id, t0() + TimeDelta::hours(1)), None, LogoutScope::Local, &ev(EventKind::Logout))
        .unwrap();
    db.execute(&format!("DELETE FROM users WHERE id = {}", user.id.0));
    assert!(db.revocations().is_empty());
}

fn set_admin_and_delete_user(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let admin = NewUser { admin: true, ..new_user("root@gmail.com") };
    assert!(store.insert_user(&admin, None, &ev(EventKind::Register), None).unwrap().admin);
    let email = Email::parse("joe@gmail.com").unwrap();
    assert!(store.set_admin(&email, true).unwrap().unwrap().admin);
    assert_eq!(db.users().iter().map(|u| u.admin).collect::<Vec<_>>(), vec![true, true]);
    assert_eq!(store.set_admin(&Email::parse("ann@gmail.com").unwrap(), true).unwrap(), None);
    store
        .logout(&revocation(user.id, t0() + TimeDelta::hours(1)), None, LogoutScope::Local, &ev(EventKind::Logout))
        .unwrap();
    assert!(store.delete_account(&email, &ev(EventKind::UserDeleted)).unwrap());
    assert!(!store.delete_account(&email, &ev(EventKind::UserDeleted)).unwrap());
    assert_eq!(db.users().len(), 1);
    assert!(db.revocations().is_empty());
}

fn readiness_reports_pending_migrations(backend: Backend) {
    use auth_domain::{NotReady, Readiness};
    let db = TestDatabase::new(backend);
    let settings = settings(db.url());
    if let Some(dir) = db.sqlite_dir() {
        // an empty database: the service's own connections never create one
        std::fs::File::create(dir.join("auth.db")).unwrap();
    }
    let store = DieselStore::open(&settings).unwrap();
    assert_eq!(store.check_ready(), Err(NotReady::PendingMigrations(11)));
    run_migrations(&settings).unwrap();
    assert_eq!(store.check_ready(), Ok(()));
}

fn new_session(at: DateTime<Utc>) -> auth_domain::NewSession {
    auth_domain::NewSession {
        id: auth_domain::SessionId::new_random(),
        started_at: at,
        client: auth_domain::ClientInfo::new(Some("agent"), Some("127.0.0.1".into())),
    }
}

fn token_check_reads_the_session_in_the_same_statement(backend: Backend) {
    use auth_domain::SessionState;
    use std::sync::atomic::Ordering;
    let db = TestDatabase::new(backend);
    let store = one_connection_store(&db);
    let live = new_session(t0());
    let user = store.insert_user(&new_user("joe@gmail.com"), Some(&live), &ev(EventKind::Register), None).unwrap();
    let ended = new_session(t0());
    store.start_session(user.id, &ended, 50, &ev(EventKind::LoginSucceeded)).unwrap();
    assert!(
        store
            .end_session(user.id, ended.id, t0(), auth_domain::EndReason::Logout, &ev(EventKind::SessionEnded))
            .unwrap()
    );
    let queries = count_statements(&store);
    let jti = TokenId::new_random();
    let state = |sid| check_token(&store, user.id, &jti, sid).unwrap().session;
    assert_eq!(state(Some(live.id)), SessionState::Live);
    assert_eq!(queries.load(Ordering::SeqCst), 1, "user, revocation and session in one statement");
    assert_eq!(state(Some(ended.id)), SessionState::Ended);
    assert_eq!(state(Some(auth_domain::SessionId::new_random())), SessionState::Missing);
    assert_eq!(state(None), SessionState::NotNamed);
    assert_eq!(queries.load(Ordering::SeqCst), 4);
    // another user's session is missing for this one
    let ann = store.insert_user(&new_user("ann@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    assert_eq!(check_token(&store, ann.id, &jti, Some(live.id)).unwrap().session, SessionState::Missing);
}

/// A session dies by time as well as by ending: idle past the refresh lifetime, or past its absolute
/// lifetime, its tokens are refused at once (not only its refresh token).
fn a_session_past_its_lifetime_is_ended_for_the_token_check(backend: Backend) {
    use auth_domain::SessionState;
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let session = new_session(t0());
    let user = store.insert_user(&new_user("joe@gmail.com"), Some(&session), &ev(EventKind::Register), None).unwrap();
    let lookup = TokenLookup { user_id: user.id, jti: TokenId::new_random(), session: Some(session.id) };
    let at = |active_after, started_after| {
        store.check_tokens(std::slice::from_ref(&lookup), LiveAfter { active_after, started_after }).unwrap()[0]
            .as_ref()
            .unwrap()
            .session
    };
    let (before, after) = (t0() - TimeDelta::seconds(1), t0());
    assert_eq!(at(before, before), SessionState::Live);
    assert_eq!(at(after, before), SessionState::Ended, "idle up to the cut-off");
    assert_eq!(at(before, after), SessionState::Ended, "started at the cut-off");
}

/// A batch of token checks answers each as the single check does, in order (repeats and tokens of
/// deleted users included); on PostgreSQL the batch is one statement.
fn token_checks_in_a_batch_answer_as_the_single_check(backend: Backend) {
    use auth_domain::{SessionId, SessionState, TokenLookup};
    use std::sync::atomic::Ordering;
    let db = TestDatabase::new(backend);
    let store = one_connection_store(&db);
    let live = new_session(t0());
    let joe = store.insert_user(&new_user("joe@gmail.com"), Some(&live), &ev(EventKind::Register), None).unwrap();
    let ended = new_session(t0());
    store.start_session(joe.id, &ended, 50, &ev(EventKind::LoginSucceeded)).unwrap();
    store.end_session(joe.id, ended.id, t0(), auth_domain::EndReason::Logout, &ev(EventKind::SessionEnded)).unwrap();
    // a token without a session, revoked
    let revoked_alone = revocation(joe.id, t0() + TimeDelta::hours(1));
    store.logout(&revoked_alone, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap();
    // ann's session lives on with one revoked token, as an earlier version's logout?scope=others left it
    let keeps = new_session(t0());
    let ann = store.insert_user(&new_user("ann@gmail.com"), Some(&keeps), &ev(EventKind::Register), None).unwrap();
    let revoked_in_session = revocation(ann.id, t0() + TimeDelta::hours(1));
    store.logout(&revoked_in_session, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap();
    db.execute(&format!("UPDATE sessions SET tokens_revoked = TRUE WHERE id = '{}'", keeps.id));
    let lookup =
        |user_id: UserId, jti: &TokenId, session: Option<SessionId>| TokenLookup { user_id, jti: jti.clone(), session };
    let fresh = TokenId::new_random();
    let lookups = vec![
        lookup(joe.id, &fresh, Some(live.id)),
        lookup(joe.id, &fresh, Some(ended.id)),
        lookup(ann.id, &revoked_in_session.jti, Some(keeps.id)),
        lookup(ann.id, &fresh, Some(keeps.id)),
        lookup(joe.id, &revoked_alone.jti, None),
        lookup(joe.id, &fresh, None),
        lookup(joe.id, &fresh, Some(SessionId::new_random())),
        lookup(ann.id, &fresh, Some(live.id)),
        lookup(UserId(ann.id.0 + 1000), &fresh, None),
        lookup(joe.id, &fresh, Some(live.id)),
    ];
    let queries = count_statements(&store);
    let batch = store.check_tokens(&lookups, live_at_t0()).unwrap();
    let statements = queries.load(Ordering::SeqCst);
    let summary: Vec<Option<(i64, bool, SessionState)>> =
        batch.iter().map(|c| c.as_ref().map(|c| (c.user.id.0, c.revoked, c.session))).collect();
    use SessionState::*;
    let (j, a) = (joe.id.0, ann.id.0);
    assert_eq!(
        summary,
        vec![
            Some((j, false, Live)),
            Some((j, false, Ended)),
            Some((a, true, Live)),
            Some((a, false, Live)),
            Some((j, true, NotNamed)),
            Some((j, false, NotNamed)),
            Some((j, false, Missing)),
            Some((a, false, Missing)),
            None,
            Some((j, false, Live)),
        ]
    );
    let singles: Vec<_> = lookups.iter().map(|l| check_token(&store, l.user_id, &l.jti, l.session)).collect();
    assert_eq!(batch, singles);
    assert_eq!(batch[0].as_ref().unwrap().user.email.as_str(), "joe@gmail.com");
    match backend {
        Backend::Postgres => assert_eq!(statements, 1, "the whole batch in one statement"),
        Backend::Sqlite => assert_eq!(statements, lookups.len(), "one statement each, on the thread's reader"),
    }
    assert_eq!(store.check_tokens(&[], live_at_t0()).unwrap(), vec![]);
}

/// A thread that has read a token keeps its reader open (SQLite): a logout committed on another
/// connection is seen by its next check, and by every other thread's.
fn a_logout_is_seen_by_every_thread_at_once(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = Arc::new(store(&db));
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let rev = revocation(user.id, t0() + TimeDelta::hours(1));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, jti, before, after) =
                (store.clone(), rev.jti.clone(), Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
            let handles = (before.clone(), after.clone());
            let thread = std::thread::spawn(move || {
                let first = user_with_revocation(&store, user.id, &jti).unwrap().1;
                before.wait();
                after.wait();
                (first, user_with_revocation(&store, user.id, &jti).unwrap().1)
            });
            (thread, handles)
        })
        .collect();
    for (_, (before, _)) in &readers {
        before.wait();
    }
    assert_eq!(store.logout(&rev, None, LogoutScope::Local, &ev(EventKind::Logout)).unwrap(), RevokeOutcome::Revoked);
    for (thread, (_, after)) in readers {
        after.wait();
        assert_eq!(thread.join().unwrap(), (false, true), "not revoked before, revoked after");
    }
}

fn rotation_is_one_compare_and_swap(backend: Backend) {
    use auth_domain::{RefreshClaim, RotateOutcome, SessionPolicy};
    let db = TestDatabase::new(backend);
    let store = Arc::new(store(&db));
    let session = new_session(t0());
    let user = store.insert_user(&new_user("joe@gmail.com"), Some(&session), &ev(EventKind::Register), None).unwrap();
    let policy = SessionPolicy::default();
    let barrier = Arc::new(Barrier::new(20));
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store
                    .rotate(RefreshClaim { session: session.id, generation: 0 }, t0(), &policy, &ev(EventKind::Refresh))
                    .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<RotateOutcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let rotated = outcomes.iter().filter(|o| matches!(o, RotateOutcome::Rotated { .. })).count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    let expected = [
        RotateOutcome::Rotated { user_id: user.id, generation: 1 },
        RotateOutcome::Grace { user_id: user.id, generation: 1 },
    ];
    assert!(outcomes.iter().all(|o| expected.contains(o)), "{outcomes:?}");
    assert_eq!(db.sessions()[0].generation, 1);
    // after the grace: reuse, and the session is ended for every later presentation
    let later = t0() + TimeDelta::seconds(11);
    assert_eq!(
        store
            .rotate(RefreshClaim { session: session.id, generation: 0 }, later, &policy, &ev(EventKind::Refresh))
            .unwrap(),
        RotateOutcome::Reused { user_id: user.id }
    );
    assert_eq!(
        store
            .rotate(RefreshClaim { session: session.id, generation: 1 }, later, &policy, &ev(EventKind::Refresh))
            .unwrap(),
        RotateOutcome::Invalid
    );
    assert_eq!(db.sessions()[0].end_reason.as_deref(), Some("reuse"));
}

fn sessions_beyond_the_bound_and_past_their_time_go(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let sessions: Vec<_> = (0..3).map(|i| new_session(t0() + TimeDelta::seconds(i))).collect();
    for s in &sessions {
        store.start_session(user.id, s, 2, &ev(EventKind::LoginSucceeded)).unwrap();
    }
    let rows = db.sessions();
    assert_eq!(rows.iter().map(|r| r.live()).collect::<Vec<_>>(), [false, true, true]);
    assert_eq!(rows[0].end_reason.as_deref(), Some("evicted"));
    // pruned: the ended one once ended long enough ago; the others once idle too long
    assert_eq!(store.prune_sessions(t0(), t0(), t0()).unwrap(), 0);
    assert_eq!(store.prune_sessions(t0() + TimeDelta::seconds(3), t0(), t0()).unwrap(), 1);
    assert_eq!(store.prune_sessions(t0(), t0() + TimeDelta::seconds(2), t0()).unwrap(), 1);
    assert_eq!(db.sessions().len(), 1);
}

/// Concurrent logins of one user each evict its least recently active sessions: on PostgreSQL two such
/// evictions of overlapping sessions deadlocked (seen under 32 concurrent logins in the load
/// benchmark). Every start succeeds, and the bound holds exactly.
fn concurrent_session_starts_of_one_user_keep_the_bound(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = Arc::new(store(&db));
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let (threads, rounds, bound) = (8, 12, 3);
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..rounds)
                    .map(|r| {
                        let session = new_session(t0() + TimeDelta::seconds((r * threads + t) as i64));
                        store.start_session(user.id, &session, bound, &ev(EventKind::LoginSucceeded))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for handle in handles {
        for result in handle.join().unwrap() {
            assert_eq!(result, Ok(()));
        }
    }
    let rows = db.sessions();
    assert_eq!(rows.len(), threads * rounds);
    assert_eq!(rows.iter().filter(|r| r.live()).count(), bound as usize);
    assert!(rows.iter().filter(|r| !r.live()).all(|r| r.end_reason.as_deref() == Some("evicted")));
}

fn a_rehash_replaces_only_the_hash_it_read(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &ev(EventKind::Register), None).unwrap();
    let old = new_user("joe@gmail.com").password_hash;
    let rehashed = PasswordHash::from_stored(format!("$2b$12${}", "r".repeat(53)));
    let changed = PasswordHash::from_stored(format!("$2b$12${}", "c".repeat(53)));
    assert!(store.replace_password_hash(user.id, &old, &rehashed).unwrap());
    assert_eq!(db.users()[0].password, rehashed.as_str());
    // a password changed meanwhile (the stored hash is no longer the one read) wins
    assert!(!store.replace_password_hash(user.id, &old, &changed).unwrap());
    assert_eq!(db.users()[0].password, rehashed.as_str());
}

/// Two stores (two instances) on one database: concurrent reservations are all counted and each sees its
/// own count; a block set by one refuses the other's attempts without counting them; a release takes one
/// off (and lifts a block it no longer reaches); unlock and prune clear what they should.
fn attempt_counters_are_shared_and_lose_no_count(backend: Backend) {
    let db = TestDatabase::new(backend);
    let (a, b) = (Arc::new(store(&db)), Arc::new(store(&db)));
    let policy = ThrottlePolicy { login_pair_max_failures: 100, ..ThrottlePolicy::standard() };
    let keys = policy.login_keys(&LoginSubject::Email("joe@gmail.com".into()), Some("198.51.100.9"));
    let reserve = |store: &DieselStore, at| match store.reserve_attempt(&keys, at).unwrap() {
        Reserved::Counted(counted) => Ok(counted),
        Reserved::Blocked { until } => Err(until),
    };
    let barrier = Arc::new(Barrier::new(20));
    let threads: Vec<_> = (0..20)
        .map(|n| {
            let (store, keys, barrier) =
                (if n % 2 == 0 { a.clone() } else { b.clone() }, keys.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                match store.reserve_attempt(&keys, t0()).unwrap() {
                    Reserved::Counted(counted) => counted,
                    Reserved::Blocked { .. } => panic!("nothing blocks below the limits"),
                }
            })
        })
        .collect();
    let mut seen: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()[0].attempts).collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=20).collect::<Vec<u64>>(), "each attempt saw its own count");
    let counts = || db.counters().into_iter().map(|c| (c.id, c.attempts)).collect::<Vec<(String, i64)>>();
    assert_eq!(
        counts(),
        [
            ("login_email:joe@gmail.com".to_owned(), 20),
            ("login_ip:198.51.100.9".to_owned(), 20),
            ("login_pair:198.51.100.9 joe@gmail.com".to_owned(), 20)
        ]
    );
    for _ in 0..30 {
        reserve(&a, t0()).unwrap();
    }
    // the 50th attempt on the email blocks it for a second: the other instance is refused, uncounted
    assert_eq!(reserve(&b, t0()), Err(t0() + TimeDelta::seconds(1)));
    assert_eq!(counts()[0], ("login_email:joe@gmail.com".to_owned(), 50), "a refused attempt counts nothing");
    // a success gives its count back: the email falls below its limit and is no longer blocked
    let (pair, others): (Vec<_>, Vec<_>) = keys.iter().cloned().partition(|k| k.id.starts_with("login_pair"));
    b.release_attempt(&pair, &others, t0()).unwrap();
    assert_eq!(counts(), [("login_email:joe@gmail.com".to_owned(), 49), ("login_ip:198.51.100.9".to_owned(), 49)]);
    // (the order of the keys: the pair, the email, the client)
    assert_eq!(reserve(&a, t0()).unwrap()[1].attempts, 50, "no block left, counted again");
    assert_eq!(reserve(&b, t0() + TimeDelta::seconds(1)).unwrap()[1].attempts, 51, "the block is over");

    // unlock clears the email's counters, not the client's
    assert_eq!(b.clear_email_counters("joe@gmail.com").unwrap(), 2);
    assert_eq!(db.counters().into_iter().map(|c| c.id).collect::<Vec<_>>(), ["login_ip:198.51.100.9"]);

    // a counter released to zero is deleted
    let other = policy.login_keys(&LoginSubject::Email("ann@gmail.com".into()), Some("203.0.113.1"));
    assert!(matches!(a.reserve_attempt(&other, t0() + TimeDelta::seconds(600)).unwrap(), Reserved::Counted(_)));
    assert_eq!(db.counters().len(), 4);
    a.release_attempt(&[], &other[1..], t0()).unwrap();
    assert_eq!(db.counters().len(), 2, "ann's email and client counters are gone, her pair stays");
    // prune: only counters whose window ended and that block nobody
    assert_eq!(a.prune_counters(t0() + TimeDelta::seconds(1), t0() + TimeDelta::seconds(900)).unwrap(), 1);
    assert_eq!(db.counters().into_iter().map(|c| c.id).collect::<Vec<_>>(), ["login_pair:203.0.113.1 ann@gmail.com"]);
}

/// Events: stored whole, found by email, aggregated by key, pruned by age; a deleted user's stay, without
/// the address.
fn events_are_stored_found_aggregated_and_pruned(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = store(&db);
    let mut register = ev(EventKind::Register);
    register.email = Some("joe@gmail.com".to_owned());
    register.client = auth_domain::ClientInfo::new(Some("agent/1"), Some("192.0.2.1".to_owned()));
    let user = store.insert_user(&new_user("joe@gmail.com"), None, &register, None).unwrap();
    let logout = NewEvent { at: t0() + TimeDelta::days(50), user_id: Some(user.id), ..ev(EventKind::Logout) };
    store.logout(&revocation(user.id, t0() + TimeDelta::days(51)), None, LogoutScope::Local, &logout).unwrap();
    let throttled = NewEvent { email: Some("ann@gmail.com".to_owned()), ..ev(EventKind::LoginThrottled) };
    for _ in 0..3 {
        store.record_event(&throttled, Some("login_throttled:192.0.2.1 ann@gmail.com:1")).unwrap();
    }
    let query = |email: Option<&str>| EventQuery { email: email.map(str::to_owned), since: None, limit: 10 };
    let joe = store.events(&query(Some("joe@gmail.com"))).unwrap();
    assert_eq!(
        joe.iter().map(|e| (e.kind.as_str(), e.user_id)).collect::<Vec<_>>(),
        [("logout", Some(user.id)), ("register", Some(user.id))]
    );
    assert_eq!(
        (joe[1].ip.as_deref(), joe[1].user_agent.as_deref(), joe[0].email.as_deref()),
        (Some("192.0.2.1"), Some("agent/1"), Some("joe@gmail.com"))
    );
    let all = store.events(&query(None)).unwrap();
    assert_eq!(
        all.iter().map(|e| (e.kind.as_str(), e.count)).collect::<Vec<_>>(),
        [("logout", 1), ("login_throttled", 3), ("register", 1)]
    );
    assert!(store.delete_account(&Email::parse("joe@gmail.com").unwrap(), &ev(EventKind::UserDeleted)).unwrap());
    assert!(store.events(&query(Some("joe@gmail.com"))).unwrap().is_empty(), "the address left the events");
    let kept = store.events(&query(None)).unwrap();
    assert_eq!(
        kept.iter().map(|e| (e.kind.as_str(), e.user_id, e.email.as_deref())).collect::<Vec<_>>(),
        [
            ("logout", Some(user.id), None),
            ("user_deleted", Some(user.id), None),
            ("login_throttled", None, Some("ann@gmail.com")),
            ("register", Some(user.id), None)
        ],
        "the user's events stay, without the address; others' are untouched"
    );
    assert_eq!(store.prune_events(t0() + TimeDelta::days(1)).unwrap(), 3);
    assert_eq!(db.event_kinds(), [("logout".to_owned(), 1)]);
}

/// Of instances adding the key that follows the same one at once, exactly one succeeds.
fn one_signing_key_follows_another(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = Arc::new(store(&db));
    let key = |kid: &str, previous: &str| StoredKey {
        kid: kid.to_owned(),
        previous_kid: previous.to_owned(),
        created_at: t0(),
        signs_from: t0(),
        public_key: format!("public-{kid}"),
        sealed_private_key: format!("sealed-{kid}"),
        revoked_at: None,
    };
    assert!(store.add_signing_key(&key("k1", "")).unwrap());
    assert!(!store.add_signing_key(&key("other-first", "")).unwrap(), "one first key");
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let (store, barrier, key) = (store.clone(), barrier.clone(), key(&format!("k2-{n}"), "k1"));
            std::thread::spawn(move || {
                barrier.wait();
                store.add_signing_key(&key).unwrap()
            })
        })
        .collect();
    let added = threads.into_iter().map(|t| t.join().unwrap()).filter(|added| *added).count();
    assert_eq!(added, 1);
    let keys = store.signing_keys().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!((keys[0].kid.as_str(), keys[1].previous_kid.as_str()), ("k1", "k1"));
    assert_eq!(keys[0], key("k1", ""), "stored whole");
    // a revocation marks the key, once, with its event in the same transaction
    assert!(store.revoke_signing_key("k1", t0() + TimeDelta::seconds(5)).unwrap());
    assert!(!store.revoke_signing_key("k1", t0() + TimeDelta::seconds(6)).unwrap(), "revoked already");
    assert!(!store.revoke_signing_key("no-such-kid", t0()).unwrap());
    assert_eq!(store.signing_keys().unwrap()[0].revoked_at, Some(t0() + TimeDelta::seconds(5)));
    let kinds: Vec<String> = db.event_kinds().into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["key_rotated", "key_revoked"]);
}

on_both_backends!(
    a_session_past_its_lifetime_is_ended_for_the_token_check,
    concurrent_session_starts_of_one_user_keep_the_bound,
    prune_deletes_every_expired_row_in_batches,
    a_logout_is_seen_by_every_thread_at_once,
    token_checks_in_a_batch_answer_as_the_single_check,
    one_signing_key_follows_another,
    events_are_stored_found_aggregated_and_pruned,
    attempt_counters_are_shared_and_lose_no_count,
    a_rehash_replaces_only_the_hash_it_read,
    token_check_reads_the_session_in_the_same_statement,
    rotation_is_one_compare_and_swap,
    sessions_beyond_the_bound_and_past_their_time_go,
    set_admin_and_delete_user,
    readiness_reports_pending_migrations,
    migrations_apply_once,
    insert_user_stores_the_row,
    duplicate_email_is_email_taken,
    concurrent_inserts_of_one_email_make_one_user,
    finds_credentials_by_email,
    finds_user_with_revocation_in_one_query,
    revoke_stores_one_row_and_reports_repeats,
    revoke_for_a_missing_user_is_unknown_user,
    concurrent_revokes_of_one_jti_succeed_once,
    prune_deletes_only_expired_rows,
    deleting_a_user_deletes_their_revocations,
);

#[test]
fn both_migration_folders_define_the_same_tables() {
    let sqlite = TestDatabase::sqlite();
    let postgres = TestDatabase::postgres();
    run_migrations(&settings(sqlite.url())).unwrap();
    run_migrations(&settings(postgres.url())).unwrap();
    // The same columns in the same order, with types that map to one diesel schema.
    let normalise = |kind: &str| {
        match kind.to_ascii_lowercase().as_str() {
            "integer" | "bigint" => "bigint",
            "text" => "text",
            "boolean" => "boolean",
            "timestamp" | "timestamp without time zone" => "timestamp",
            "blob" | "bytea" => "binary",
            other => panic!("unexpected column type {other}"),
        }
        .to_owned()
    };
    let tables = postgres.tables();
    assert_eq!(sqlite.tables(), tables, "the same tables");
    assert!(tables.len() >= 8, "{tables:?}");
    for table in tables.iter().filter(|t| *t != "__diesel_schema_migrations") {
        let on = |db: &TestDatabase| -> Vec<(String, String)> {
            db.columns(table).into_iter().map(|(name, kind)| (name, normalise(&kind))).collect()
        };
        let expected = on(&postgres);
        assert!(!expected.is_empty(), "{table} has no columns");
        assert_eq!(on(&sqlite), expected, "{table}");
    }
}

#[test]
fn an_unreachable_database_is_unavailable_with_the_drivers_reason() {
    // Port 1 on loopback: nothing listens there, so every connection attempt is refused.
    let settings =
        PoolSettings { acquire_timeout: Duration::from_millis(300), ..settings("postgres://auth@127.0.0.1:1/auth") };
    let store = DieselStore::open(&settings).unwrap();
    let err = store.find_credentials_by_email(&Email::parse("joe@gmail.com").unwrap()).unwrap_err();
    let StoreError::Unavailable(cause) = &err else { panic!("expected Unavailable, got {err:?}") };
    // r2d2 reports the timeout with the last connection error: libpq's own words
    assert!(cause.to_string().contains("port 1 failed: Connection refused"), "{cause}");
    assert_eq!(auth_domain::ErrorChain(&err).to_string(), format!("database unavailable: {cause}"));
    let not_ready = auth_domain::Readiness::check_ready(&store).unwrap_err();
    let auth_domain::NotReady::Unavailable(cause) = &not_ready else { panic!("{not_ready:?}") };
    assert!(cause.to_string().contains("Connection refused"), "{cause}");
}

#[test]
fn sqlite_connections_use_wal_and_foreign_keys() {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text};
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Fk {
        #[diesel(sql_type = BigInt)]
        foreign_keys: i64,
    }
    let db = TestDatabase::sqlite();
    let store = store(&db);
    let mut conn = store.pool().get().unwrap();
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(&mut *conn).unwrap();
    let fk: Fk = diesel::sql_query("PRAGMA foreign_keys").get_result(&mut *conn).unwrap();
    assert_eq!(mode.journal_mode, "wal");
    assert_eq!(fk.foreign_keys, 1);
}

#[test]
fn a_sqlite_url_creates_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/deeper/auth.db", dir.path().display());
    run_migrations(&settings(&url)).unwrap();
    assert!(dir.path().join("nested/deeper/auth.db").exists());
}
