//! The real server on 127.0.0.1 and an OS-picked port, over TCP, with embedded SQLite.

use auth_server::{Application, Settings};
use auth_testkit::TestDatabase;
use serde_json::{Value, json};

fn settings(database_url: &str) -> Settings {
    crate::common::test_settings(database_url, &[])
}

async fn send(request: awc::ClientRequest, body: Option<Value>) -> (u16, String, Value) {
    let mut response = match body {
        Some(body) => request.send_json(&body).await.unwrap(),
        None => request.send().await.unwrap(),
    };
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    let body = response.json::<Value>().await.unwrap();
    (response.status().as_u16(), content_type, body)
}

#[actix_web::test]
async fn the_whole_flow_works_over_tcp() {
    let db = TestDatabase::sqlite();
    let app = Application::build(&settings(db.url())).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    assert_ne!(app.port(), 0);
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::default();
    let credentials = json!({"email": "joe@gmail.com", "password": "123456"});

    let (status, content_type, body) =
        send(client.post(format!("{base}/auth/register")), Some(credentials.clone())).await;
    assert_eq!(
        (status, content_type.as_str(), &body["message"]),
        (201, "application/json", &json!("Successfully registered."))
    );

    let (status, _, body) = send(client.post(format!("{base}/auth/login")), Some(credentials.clone())).await;
    assert_eq!(status, 200, "{body}");
    let token = body["auth_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");

    let (status, _, body) =
        send(client.get(format!("{base}/auth/status")).insert_header(("Authorization", bearer.as_str())), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["email"], "joe@gmail.com");
    assert_eq!(body["data"]["user_id"], db.users()[0].id);

    let (status, _, body) =
        send(client.post(format!("{base}/auth/logout")).insert_header(("Authorization", bearer.as_str())), None).await;
    assert_eq!((status, body), (200, json!({"status": "success", "message": "Successfully logged out."})));
    assert_eq!(db.revocations().len(), 1);

    let (status, _, body) =
        send(client.get(format!("{base}/auth/status")).insert_header(("Authorization", bearer.as_str())), None).await;
    assert_eq!((status, body), (401, json!({"status": "fail", "message": "Token blacklisted. Please log in again."})));

    let (status, content_type, body) = send(client.get(format!("{base}/missing")), None).await;
    assert_eq!(
        (status, content_type.as_str(), body),
        (404, "application/json", json!({"status": "fail", "message": "Not found."}))
    );

    handle.stop(true).await;
}

#[actix_web::test]
async fn expired_revocations_are_pruned_at_start() {
    let db = TestDatabase::sqlite();
    auth_persistence::run_migrations(&auth_persistence::PoolSettings::try_from(&settings(db.url()).database).unwrap())
        .unwrap();
    db.execute(
        "INSERT INTO users (id, email, password, registered_on, admin) VALUES (1, 'joe@gmail.com', 'x', '2026-01-01 00:00:00', 0);
         INSERT INTO revoked_tokens VALUES ('expired', 1, '2026-01-01 00:00:00', '2026-01-01 01:00:00');
         INSERT INTO revoked_tokens VALUES ('live', 1, '2026-01-01 00:00:00', '2999-01-01 00:00:00');",
    );
    let app = Application::build(&settings(db.url())).unwrap();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    // The pruning task runs once at start; poll for its effect rather than sleeping a fixed time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.revocations().len() != 1 {
        assert!(std::time::Instant::now() < deadline, "not pruned: {:?}", db.revocations());
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(db.revocations()[0].jti, "live");
    handle.stop(true).await;
}

#[actix_web::test]
async fn a_second_start_on_the_same_database_keeps_the_data() {
    let db = TestDatabase::sqlite();
    let first = Application::build(&settings(db.url())).unwrap();
    let base = format!("http://127.0.0.1:{}", first.port());
    let handle = first.handle();
    actix_web::rt::spawn(first.run_until_stopped());
    let credentials = json!({"email": "joe@gmail.com", "password": "123456"});
    let (status, _, _) =
        send(awc::Client::default().post(format!("{base}/auth/register")), Some(credentials.clone())).await;
    assert_eq!(status, 201);
    handle.stop(true).await;

    let second = Application::build(&settings(db.url())).unwrap();
    let base = format!("http://127.0.0.1:{}", second.port());
    let handle = second.handle();
    actix_web::rt::spawn(second.run_until_stopped());
    let (status, _, body) = send(awc::Client::default().post(format!("{base}/auth/login")), Some(credentials)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(db.users().len(), 1);
    handle.stop(true).await;
}
