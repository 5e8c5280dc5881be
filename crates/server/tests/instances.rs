//! Several `auth-server` processes sharing one PostgreSQL database, as behind a load balancer.

use auth_testkit::TestDatabase;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    fn spawn(database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_auth-server"))
            .env_clear()
            .env("APP_CONFIG_DIR", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config"))
            .env("APP_ENVIRONMENT", "test")
            .env("APP__DATABASE__URL", database_url)
            .env("APP__SERVER__PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, base: format!("http://127.0.0.1:{port}") }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while awc::Client::default().get(format!("{}/auth/status", self.base)).send().await.is_err() {
            assert!(Instant::now() < deadline, "{} did not start", self.base);
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
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

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn credentials() -> Value {
    json!({"email": "joe@gmail.com", "password": "123456"})
}

#[actix_web::test]
async fn a_token_from_one_instance_works_on_the_other_and_logout_is_seen_at_once() {
    let db = TestDatabase::postgres();
    let (a, b) = (Instance::spawn(db.url()), Instance::spawn(db.url()));
    a.wait_ready().await;
    b.wait_ready().await;

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

#[actix_web::test]
async fn one_email_registered_on_both_instances_at_once_makes_one_user() {
    let db = TestDatabase::postgres();
    let (a, b) = (Instance::spawn(db.url()), Instance::spawn(db.url()));
    a.wait_ready().await;
    b.wait_ready().await;
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
    let db = TestDatabase::postgres();
    let children: Vec<Child> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_auth-server"))
                .env_clear()
                .env("APP_CONFIG_DIR", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config"))
                .env("APP_ENVIRONMENT", "test")
                .env("APP__DATABASE__URL", db.url())
                .arg("migrate")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
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
            "applied 3 migration(s): 20261129000001, 20261129000002, 20261130000001\n",
        ]
    );
    assert!(db.users().is_empty() && db.revocations().is_empty(), "the tables exist");
}
