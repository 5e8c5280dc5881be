//! Several `auth-server` processes sharing one PostgreSQL database, as behind a load balancer.

use crate::common::{Served, auth_server};
use auth_testkit::TestDatabase;
use serde_json::{Value, json};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// One `auth-server serve` process; it reports its address once it listens. Killed when dropped.
struct Instance {
    _served: Served,
    base: String,
}

impl Instance {
    fn spawn(database_url: &str) -> Self {
        Self::spawn_with(database_url, &[])
    }

    fn spawn_with(database_url: &str, extra: &[(&str, &str)]) -> Self {
        let served = Served::start(database_url, extra, Stdio::null());
        let base = format!("http://127.0.0.1:{}", served.port);
        Self { _served: served, base }
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let client = awc::Client::default();
        let mut request = client.request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => request.send_json(&body).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn credentials() -> Value {
    json!({"email": "joe@gmail.com", "password": "123456"})
}

#[actix_web::test]
async fn a_token_from_one_instance_works_on_the_other_and_logout_is_seen_at_once() {
    let db = TestDatabase::postgres();
    let (a, b) = (Instance::spawn(db.url()), Instance::spawn(db.url()));

    let (status, body) = a.call("POST", "/auth/register", None, Some(credentials())).await;
    assert_eq!(status, 201, "{body}");
    let token = body["auth_token"].as_str().unwrap().to_owned();
    let (status, body) = b.call("GET", "/auth/status", Some(&token), None).await;
    assert_eq!((status, &body["data"]["email"]), (200, &json!("joe@gmail.com")), "{body}");

    let (status, _) = a.call("POST", "/auth/logout", Some(&token), None).await;
    assert_eq!(status, 200);
    let (status, body) = b.call("GET", "/auth/status", Some(&token), None).await;
    assert_eq!((status, body), (401, json!({"status": "fail", "message": "Token blacklisted. Please log in again."})));
    let (status, _) = b.call("POST", "/auth/logout", Some(&token), None).await;
    assert_eq!(status, 401);
    assert_eq!(db.revocations().len(), 1);
}

/// The access token and refresh token of a register, login or refresh reply.
fn tokens(body: &Value) -> (String, String) {
    (body["auth_token"].as_str().unwrap().to_owned(), body["refresh_token"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn a_session_ended_on_one_instance_is_refused_by_the_other_at_once() {
    let db = TestDatabase::postgres();
    // no grace: a consumed refresh token presented again is reuse at once
    let grace = [("APP__SESSIONS__REFRESH_REUSE_GRACE_SECS", "0")];
    let (a, b) = (Instance::spawn_with(db.url(), &grace), Instance::spawn_with(db.url(), &grace));
    let blacklisted = json!({"status": "fail", "message": "Token blacklisted. Please log in again."});
    let invalid_refresh = json!({"status": "fail", "message": "Invalid refresh token. Please log in again."});

    // ended by DELETE on B: refused on A
    let (status, body) = a.call("POST", "/auth/register", None, Some(credentials())).await;
    assert_eq!(status, 201, "{body}");
    let (first, _) = tokens(&body);
    let (status, body) = b.call("POST", "/auth/login", None, Some(credentials())).await;
    assert_eq!(status, 200, "{body}");
    let (second, _) = tokens(&body);
    let (_, list) = b.call("GET", "/auth/sessions", Some(&second), None).await;
    let first_id = list["data"]["sessions"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(b.call("DELETE", &format!("/auth/sessions/{first_id}"), Some(&second), None).await.0, 200);
    assert_eq!(a.call("GET", "/auth/status", Some(&first), None).await, (401, blacklisted.clone()));

    // reuse detected on B: the session's tokens are refused on A
    let (_, body) = a.call("POST", "/auth/login", None, Some(credentials())).await;
    let (access, refresh) = tokens(&body);
    let (status, body) = a.call("POST", "/auth/refresh", None, Some(json!({"refresh_token": refresh}))).await;
    assert_eq!(status, 200, "{body}");
    let (new_access, new_refresh) = tokens(&body);
    let reused = b.call("POST", "/auth/refresh", None, Some(json!({"refresh_token": refresh}))).await;
    assert_eq!(reused, (401, invalid_refresh.clone()));
    for token in [&access, &new_access] {
        assert_eq!(a.call("GET", "/auth/status", Some(token), None).await, (401, blacklisted.clone()));
    }
    let after = a.call("POST", "/auth/refresh", None, Some(json!({"refresh_token": new_refresh}))).await;
    assert_eq!(after, (401, invalid_refresh));

    // a password changed on A: B refuses the other sessions at once, keeps the caller's
    let others: Vec<String> = {
        let mut others = Vec::new();
        for instance in [&a, &b] {
            let (status, body) = instance.call("POST", "/auth/login", None, Some(credentials())).await;
            assert_eq!(status, 200, "{body}");
            others.push(tokens(&body).0);
        }
        others
    };
    for token in &others {
        assert_eq!(b.call("GET", "/auth/status", Some(token), None).await.0, 200, "live before the change");
    }
    let password = json!({"current_password": "123456", "new_password": "n3w-password"});
    assert_eq!(a.call("POST", "/auth/password", Some(&second), Some(password)).await.0, 200);
    assert_eq!(b.call("GET", "/auth/status", Some(&second), None).await.0, 200);
    for token in &others {
        assert_eq!(b.call("GET", "/auth/status", Some(token), None).await, (401, blacklisted.clone()));
        assert_eq!(a.call("GET", "/auth/status", Some(token), None).await, (401, blacklisted.clone()));
    }
    let live: Vec<_> = db.sessions().into_iter().filter(|s| s.live()).collect();
    assert_eq!(live.len(), 1, "{live:?}");
}

#[actix_web::test]
async fn one_email_registered_on_both_instances_at_once_makes_one_user() {
    let db = TestDatabase::postgres();
    let (a, b) = (Instance::spawn(db.url()), Instance::spawn(db.url()));
    let requests = (0..20).map(|i| {
        let instance = if i % 2 == 0 { &a } else { &b };
        instance.call("POST", "/auth/register", None, Some(credentials()))
    });
    let replies = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = replies.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 19, "{statuses:?}");
    assert_eq!(db.users().len(), 1);
}

#[test]
fn migrations_started_by_several_processes_at_once_apply_once() {
    use diesel::connection::SimpleConnection;
    let db = TestDatabase::postgres();
    // The test holds the migration lock, so that all four processes are surely waiting for it at once.
    let mut holder = db.postgres_connection();
    holder.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).unwrap();
    // Named, so that only these four are counted among the sessions waiting (other tests migrate too).
    let name = format!("migrate_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{}&application_name={name}", db.url());
    let children: Vec<Child> = (0..4)
        .map(|_| {
            auth_server("test", &url).arg("migrate").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while waiting_for_the_lock(&mut holder, &name) < 4 {
        assert!(Instant::now() < deadline, "the four migrations never all waited for the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(db.columns("users").is_empty(), "a migration ran without the lock");
    holder.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).unwrap();

    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for out in &outputs {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut reports: Vec<String> = outputs.iter().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).collect();
    reports.sort();
    assert_eq!(
        reports,
        vec![
            "applied 0 migration(s)\n",
            "applied 0 migration(s)\n",
            "applied 0 migration(s)\n",
            "applied 11 migration(s): 20261129000001, 20261129000002, 20261130000001, 20261130000002, 20261130000003, 20261130000004, 20261130000005, 20261130000006, 20261204000001, 20261205000001, 20261205000002\n",
        ]
    );
    assert!(db.users().is_empty() && db.revocations().is_empty(), "the tables exist");
}

/// The persistence crate's migration lock key ("auth_mig" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6175_7468_5f6d_6967;

/// Sessions called `name` waiting for an advisory lock.
fn waiting_for_the_lock(conn: &mut diesel::PgConnection, name: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_locks JOIN pg_stat_activity USING (pid) \
         WHERE locktype = 'advisory' AND NOT granted AND application_name = $1",
    )
    .bind::<diesel::sql_types::Text, _>(name)
    .get_result::<Waiting>(conn)
    .unwrap()
    .n
}
