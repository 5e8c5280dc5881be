use crate::testing::{ManualClock, MemoryStore, memory_service};
use crate::*;
use chrono::{TimeDelta, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::sync::atomic::Ordering;

struct Fixture {
    service: AuthService,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()));
    let (service, store) = memory_service(4, clock.clone());
    Fixture { service, store, clock }
}

fn client() -> ClientInfo {
    ClientInfo::new(Some("test-agent"), Some("127.0.0.1".into()))
}

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn refused(refusal: Refusal) -> AuthError {
    AuthError::Refused(refusal)
}

/// What `GET /auth/status` answers: the caller's user.
fn status(f: &Fixture, token: &str) -> Result<User, AuthError> {
    f.service.authenticate(token).map(|caller| caller.user)
}

#[derive(Debug)]
enum LogoutFailure {
    Auth(AuthError),
    Logout(#[allow(dead_code, reason = "read through Debug in assertion messages")] LogoutError),
}

/// What `POST /auth/logout` does: authenticate, then log out.
fn logout(f: &Fixture, token: &str, scope: LogoutScope) -> Result<UserId, LogoutFailure> {
    let caller = f.service.authenticate(token).map_err(LogoutFailure::Auth)?;
    f.service.logout(&caller, scope, client()).map_err(LogoutFailure::Logout)
}

#[test]
fn register_stores_a_bcrypt_hash_and_returns_a_working_token() {
    let f = fixture();
    let registered = f.service.register(" Joe@Gmail.com ", pw("123456"), client()).unwrap();
    assert_eq!(registered.user.email.as_str(), "joe@gmail.com");
    assert!(!registered.user.admin);
    assert_eq!(registered.user.registered_on, Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap());
    let hash = f.store.stored_hash("joe@gmail.com").unwrap();
    assert!(hash.starts_with("$2b$04$") && !hash.contains("123456"));
    let user = status(&f, registered.session.as_ref().unwrap().access.token.expose_secret()).unwrap();
    assert_eq!(user, registered.user);
}

#[test]
fn register_twice_in_any_case_is_already_exists() {
    let f = fixture();
    f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let err = f.service.register("JOE@gmail.COM", pw("abcdef"), client()).unwrap_err();
    assert!(matches!(err, RegisterError::AlreadyExists), "{err:?}");
    assert_eq!(f.store.user_count(), 1);
}

#[test]
fn register_rejects_bad_input_before_storing_anything() {
    let f = fixture();
    assert!(matches!(
        f.service.register("joe", pw("123456"), client()),
        Err(RegisterError::InvalidEmail(EmailError::Invalid))
    ));
    assert!(matches!(
        f.service.register("joe@gmail.com", pw("12345"), client()),
        Err(RegisterError::InvalidPassword(PasswordError::TooShort { min: 6 }))
    ));
    assert!(matches!(
        f.service.register("joe@gmail.com", pw(&"x".repeat(129)), client()),
        Err(RegisterError::InvalidPassword(PasswordError::TooLong))
    ));
    assert_eq!(f.store.user_count(), 0);
}

#[test]
fn login_accepts_the_right_password_only() {
    let f = fixture();
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let token = f.service.login("JOE@gmail.com", &pw("123456"), client()).unwrap();
    assert_eq!(status(&f, token.access.token.expose_secret()).unwrap().id, registered.user.id);
    assert!(matches!(f.service.login("joe@gmail.com", &pw("1234567"), client()), Err(LoginError::InvalidCredentials)));
    assert!(matches!(
        f.service.login("nobody@gmail.com", &pw("123456"), client()),
        Err(LoginError::InvalidCredentials)
    ));
    assert!(matches!(f.service.login("not an email", &pw("123456"), client()), Err(LoginError::InvalidCredentials)));
}

#[test]
fn status_refuses_expired_revoked_and_orphaned_tokens() {
    let f = fixture();
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let token = registered.session.as_ref().unwrap().access.token.expose_secret().to_owned();

    f.clock.advance(TimeDelta::seconds(3600));
    assert_eq!(status(&f, &token), Err(refused(Refusal::Expired)));

    let f = fixture();
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let token = registered.session.as_ref().unwrap().access.token.expose_secret().to_owned();
    logout(&f, &token, LogoutScope::Local).unwrap();
    assert_eq!(status(&f, &token), Err(refused(Refusal::Revoked)));

    let other = f.service.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    f.store.delete_user_by_id(registered.user.id);
    assert_eq!(status(&f, other.access.token.expose_secret()), Err(refused(Refusal::Invalid)));
}

/// A session that died by time (idle past `refresh_ttl`, or past `max_lifetime`) takes its access tokens
/// with it, as an ended one does: the token is refused, not merely the refresh.
#[test]
fn tokens_of_a_session_past_its_lifetime_are_refused() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()));
    let (service, store) = memory_service(4, clock.clone());
    let service = AuthService {
        session_policy: SessionPolicy { refresh_ttl: TimeDelta::minutes(30), ..SessionPolicy::default() },
        ..service
    };
    let f = Fixture { service, store, clock };
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let token = registered.session.as_ref().unwrap().access.token.expose_secret().to_owned();
    f.clock.advance(TimeDelta::minutes(29));
    assert!(status(&f, &token).is_ok());
    f.clock.advance(TimeDelta::minutes(1));
    assert_eq!(status(&f, &token), Err(refused(Refusal::Revoked)), "idle past refresh_ttl, the token still unexpired");
}

/// The batched check answers each token as `authenticate` does, in order; a store failure fails only the
/// tokens that reached the store.
#[test]
fn authenticate_many_answers_each_token_in_order() {
    let f = fixture();
    let joe = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let ann = f.service.register("ann@gmail.com", pw("123456"), client()).unwrap();
    let revoked = f.service.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    let revoked = revoked.access.token.expose_secret().to_owned();
    logout(&f, &revoked, LogoutScope::Local).unwrap();
    let gone = f.service.register("gone@gmail.com", pw("123456"), client()).unwrap();
    f.store.delete_user_by_id(gone.user.id);
    let tokens = [
        joe.session.as_ref().unwrap().access.token.expose_secret(),
        "garbage",
        revoked.as_str(),
        ann.session.as_ref().unwrap().access.token.expose_secret(),
        gone.session.as_ref().unwrap().access.token.expose_secret(),
        joe.session.as_ref().unwrap().access.token.expose_secret(),
    ];
    let answers = f.service.authenticate_many(&tokens);
    assert_eq!(answers.len(), tokens.len());
    assert_eq!(answers[0].as_ref().unwrap().user.email.as_str(), "joe@gmail.com");
    assert_eq!(answers[0].as_ref().unwrap().session, Some(joe.session.as_ref().unwrap().session));
    assert_eq!(answers[1], Err(refused(Refusal::Invalid)));
    assert_eq!(answers[2], Err(refused(Refusal::Revoked)));
    assert_eq!(answers[3].as_ref().unwrap().user.email.as_str(), "ann@gmail.com");
    assert_eq!(answers[4], Err(refused(Refusal::Invalid)));
    assert_eq!(answers[5].as_ref().unwrap().user.id, joe.user.id);
    for (token, answer) in tokens.iter().zip(&answers) {
        assert_eq!(&f.service.authenticate(token), answer);
    }
    assert!(f.service.authenticate_many::<&str>(&[]).is_empty());

    f.store.unavailable.store(true, Ordering::SeqCst);
    let answers = f.service.authenticate_many(&tokens[..2]);
    assert!(matches!(answers[0], Err(AuthError::Store(StoreError::Unavailable(_)))));
    assert_eq!(answers[1], Err(refused(Refusal::Invalid)));
    f.clock.advance(TimeDelta::hours(2));
    assert_eq!(f.service.authenticate_many(&tokens[..1])[0], Err(refused(Refusal::Expired)));
}

#[test]
fn logout_revokes_once_and_records_the_expiry() {
    let f = fixture();
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let token = registered.session.as_ref().unwrap().access.token.expose_secret().to_owned();
    let caller = f.service.authenticate(&token).unwrap();
    f.service.logout(&caller, LogoutScope::Local, client()).unwrap();
    // a second logout with the same (already checked) token loses
    assert!(matches!(f.service.logout(&caller, LogoutScope::Local, client()), Err(LogoutError::Revoked)));
    assert!(matches!(
        logout(&f, &token, LogoutScope::Local),
        Err(LogoutFailure::Auth(AuthError::Refused(Refusal::Revoked)))
    ));
    let rows = f.store.revocations();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].jti, registered.session.as_ref().unwrap().access.jti);
    assert_eq!(rows[0].user_id, registered.user.id);
    assert_eq!(rows[0].expires_at, registered.session.as_ref().unwrap().access.expires_at);
}

/// "Sign out my other devices": the others end, the caller's token and session go on working.
#[test]
fn logout_of_the_others_keeps_the_callers_token() {
    let f = fixture();
    let first = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let second = f.service.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    let token = first.session.as_ref().unwrap().access.token.expose_secret().to_owned();
    logout(&f, &token, LogoutScope::Others).unwrap();
    assert!(status(&f, &token).is_ok());
    assert_eq!(status(&f, second.access.token.expose_secret()), Err(refused(Refusal::Revoked)));
    logout(&f, &token, LogoutScope::Others).unwrap();
    assert!(f.store.revocations().is_empty());
    let live: Vec<SessionId> = f.store.sessions().iter().filter(|s| s.ended_at.is_none()).map(|s| s.id).collect();
    assert_eq!(live, [first.session.as_ref().unwrap().session]);
}

#[test]
fn logout_of_a_user_deleted_meanwhile_is_gone() {
    let f = fixture();
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let caller = f.service.authenticate(registered.session.as_ref().unwrap().access.token.expose_secret()).unwrap();
    f.store.delete_user_by_id(registered.user.id);
    assert!(matches!(f.service.logout(&caller, LogoutScope::Local, client()), Err(LogoutError::Gone)));
    assert!(f.store.revocations().is_empty());
}

#[test]
fn unlock_clears_the_email_counters_and_login_works_at_once() {
    let f = fixture();
    f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    for _ in 0..5 {
        assert!(matches!(
            f.service.login("joe@gmail.com", &pw("wrong!"), client()),
            Err(LoginError::InvalidCredentials)
        ));
    }
    assert!(matches!(
        f.service.login("joe@gmail.com", &pw("123456"), client()),
        Err(LoginError::Throttled(Throttled { retry_after_secs: 1 }))
    ));
    assert_eq!(f.service.unlock(" Joe@Gmail.com ").unwrap(), 2, "the pair and the email");
    assert!(f.service.login("joe@gmail.com", &pw("123456"), client()).is_ok());
    let left: Vec<String> = f.store.counters().into_keys().filter(|id| id.starts_with("login_")).collect();
    assert_eq!(left.len(), 1, "the client's counter stays: {left:?}");
    assert!(matches!(f.service.unlock("not an email"), Err(AdminError::InvalidEmail(_))));
}

#[test]
fn events_older_than_the_retention_are_pruned() {
    let f = fixture();
    let service = f.service.with_audit_retention(TimeDelta::days(90));
    service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    f.clock.advance(TimeDelta::days(60));
    assert!(service.login("joe@gmail.com", &pw("123456"), client()).is_ok());
    f.clock.advance(TimeDelta::days(31));
    assert_eq!(service.prune().unwrap().events, 1);
    let kinds: Vec<String> = f.store.all_events().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["login_succeeded"]);
}

#[test]
fn prune_deletes_only_expired_revocations_and_sessions() {
    let f = fixture();
    f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let early = f.service.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    logout(&f, early.access.token.expose_secret(), LogoutScope::Local).unwrap();
    f.clock.advance(TimeDelta::minutes(30));
    let late = f.service.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    logout(&f, late.access.token.expose_secret(), LogoutScope::Local).unwrap();

    assert_eq!(
        f.service.prune().unwrap(),
        Pruned { revocations: 0, sessions: 0, counters: 0, events: 0, mails: 0, links: 0, feed: 0 }
    );
    f.clock.advance(TimeDelta::minutes(31));
    // the early token has expired, and so has every token of the session its logout ended; the
    // registration's counter is past its hour
    assert_eq!(
        f.service.prune().unwrap(),
        Pruned { revocations: 1, sessions: 1, counters: 1, events: 0, mails: 0, links: 0, feed: 0 }
    );
    assert!(f.store.counters().is_empty());
    let rows = f.store.revocations();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].jti, late.access.jti);
    let sessions: Vec<SessionId> = f.store.sessions().into_iter().map(|s| s.id).collect();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.contains(&late.session) && !sessions.contains(&early.session));
}

#[test]
fn store_failures_surface_as_store_errors() {
    let f = fixture();
    let registered = f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    f.store.unavailable.store(true, Ordering::SeqCst);
    assert!(matches!(f.service.register("ann@gmail.com", pw("123456"), client()), Err(RegisterError::Store(_))));
    assert!(matches!(f.service.login("joe@gmail.com", &pw("123456"), client()), Err(LoginError::Store(_))));
    assert!(matches!(
        status(&f, registered.session.as_ref().unwrap().access.token.expose_secret()),
        Err(AuthError::Store(_))
    ));
    assert!(f.service.prune().is_err());
}

#[test]
fn admin_commands_create_flag_and_delete_users() {
    let f = fixture();
    let user = f.service.create_user("Root@Example.com", pw("123456"), true).unwrap();
    assert!(user.admin);
    assert_eq!(user.email.as_str(), "root@example.com");
    assert!(matches!(
        f.service.create_user("root@example.com", pw("123456"), false),
        Err(RegisterError::AlreadyExists)
    ));
    assert!(!f.service.set_admin("root@example.com", false).unwrap().admin);
    assert!(matches!(f.service.set_admin("nobody@example.com", true), Err(AdminError::UnknownUser)));
    let token = f.service.login("root@example.com", &pw("123456"), client()).unwrap();
    logout(&f, token.access.token.expose_secret(), LogoutScope::Local).unwrap();
    f.service.delete_user("root@example.com").unwrap();
    assert_eq!(f.store.user_count(), 0);
    assert!(f.store.revocations().is_empty(), "revocations go with the user");
    assert!(matches!(f.service.delete_user("root@example.com"), Err(AdminError::UnknownUser)));
    assert!(matches!(f.service.delete_user("not an email"), Err(AdminError::InvalidEmail(_))));
}

/// The timing defence, counted: an unknown email, a wrong password and the right one each cost exactly
/// one verification at the configured cost (and a password NFC changes, two, whoever it is for).
#[test]
fn every_login_costs_one_verification_at_the_configured_cost() {
    let f = fixture();
    f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    let runs = |f: &Fixture| (0..32).map(|cost| f.service.hasher.verifications_at(cost)).collect::<Vec<_>>();
    let only_at_4 = |n: u64| {
        let mut expected = vec![0; 32];
        expected[4] = n;
        expected
    };
    assert_eq!(runs(&f), only_at_4(0), "registering verifies nothing");
    assert!(f.service.login("nobody@gmail.com", &pw("123456"), client()).is_err());
    assert_eq!(runs(&f), only_at_4(1), "unknown email");
    assert!(f.service.login("not an email", &pw("123456"), client()).is_err());
    assert_eq!(runs(&f), only_at_4(2), "malformed email");
    assert!(f.service.login("joe@gmail.com", &pw("1234567"), client()).is_err());
    assert_eq!(runs(&f), only_at_4(3), "wrong password");
    assert!(f.service.login("joe@gmail.com", &pw("123456"), client()).is_ok());
    assert_eq!(runs(&f), only_at_4(4), "right password");
    // NFD input is checked in NFC and as typed: twice, for a known and an unknown email alike
    assert!(f.service.login("joe@gmail.com", &pw("cafe\u{301}!"), client()).is_err());
    assert_eq!(runs(&f), only_at_4(6));
    assert!(f.service.login("nobody@gmail.com", &pw("cafe\u{301}!"), client()).is_err());
    assert_eq!(runs(&f), only_at_4(8));
}

/// Raising `password.bcrypt_cost` upgrades each account at its next login, and until then a wrong
/// password for it costs what one for an unknown email costs. (That a rehash never overwrites a password
/// changed meanwhile is the real store's compare-and-swap: `a_rehash_replaces_only_the_hash_it_read`.)
#[test]
fn a_login_rehashes_at_the_configured_cost() {
    let f = fixture();
    f.service.register("joe@gmail.com", pw("123456"), client()).unwrap();
    assert!(f.store.stored_hash("joe@gmail.com").unwrap().starts_with("$2b$04$"));
    let raised = crate::testing::memory_service_over(f.store.clone(), 6, f.clock.clone());

    assert!(raised.login("joe@gmail.com", &pw("1234567"), client()).is_err());
    assert_eq!((raised.hasher.verifications_at(4), raised.hasher.verifications_at(6)), (1, 1), "padded to cost 6");
    assert!(f.store.stored_hash("joe@gmail.com").unwrap().starts_with("$2b$04$"), "no rehash without the password");

    raised.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    let rehashed = f.store.stored_hash("joe@gmail.com").unwrap();
    assert!(rehashed.starts_with("$2b$06$"), "{rehashed}");
    raised.login("joe@gmail.com", &pw("123456"), client()).unwrap();
    assert_eq!(f.store.stored_hash("joe@gmail.com").unwrap(), rehashed, "once is enough");
    assert_eq!(raised.hasher.verifications_at(4), 2);
    assert_eq!(raised.rehashes(), 1, "what auth_password_rehashes_total reports");
}
