use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{App, test};
use auth_domain::{TokenCodec, UserId};
use auth_persistence::DieselStore;
use auth_server::{Components, Environment, Settings};
use auth_testkit::{Backend, TestDatabase};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::Arc;

pub const EMAIL: &str = "joe@gmail.com";
pub const PASSWORD: &str = "123456";

pub fn test_settings(database_url: &str) -> Settings {
    crate::common::test_settings(database_url, &[])
}

/// The test environment's settings with `APP__...` overrides.
pub fn test_settings_with(vars: &[(&str, &str)]) -> Settings {
    crate::common::load(Environment::Test, vars)
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The reply is `status` with exactly `body`, as JSON.
    #[track_caller]
    pub fn assert(&self, status: u16, body: Value) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.content_type, "application/json", "{self:?}");
        assert_eq!(self.body, body, "{self:?}");
    }

    #[track_caller]
    pub fn assert_fail(&self, status: u16, message: &str) {
        self.assert(status, json!({"status": "fail", "message": message}));
    }

    /// A success reply carrying tokens: checks the whole shape (the seed's three fields, then the
    /// session's) and returns the access token.
    #[track_caller]
    pub fn token(&self, status: u16, message: &str) -> String {
        self.tokens(status, message).0
    }

    /// The access token and the refresh token of a success reply, after checking its shape.
    #[track_caller]
    pub fn tokens(&self, status: u16, message: &str) -> (String, String) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.content_type, "application/json", "{self:?}");
        let object = self.body.as_object().unwrap_or_else(|| panic!("{self:?}"));
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 6, "{self:?}");
        assert_eq!(self.body["status"], "success", "{self:?}");
        assert_eq!(self.body["message"], message, "{self:?}");
        assert_eq!(self.body["token_type"], "Bearer", "{self:?}");
        assert_eq!(self.body["expires_in"], 3600, "{self:?}");
        let token = self.body["auth_token"].as_str().unwrap_or_else(|| panic!("{self:?}")).to_owned();
        assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
        let refresh = self.body["refresh_token"].as_str().unwrap_or_else(|| panic!("{self:?}")).to_owned();
        assert!(refresh.len() >= 43 && refresh.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        (token, refresh)
    }
}

pub struct TestApp {
    /// Shared with `another_instance`s of the app.
    pub db: Arc<TestDatabase>,
    pub settings: Settings,
    components: Components,
}

impl TestApp {
    pub fn new(backend: Backend) -> Self {
        let db = TestDatabase::new(backend);
        let settings = test_settings(db.url());
        Self::with_settings(db, settings)
    }

    /// The real service built from `settings` (which may point past `db`, through a proxy).
    pub fn with_settings(db: TestDatabase, settings: Settings) -> Self {
        let components = Components::build(&settings, Arc::new(auth_domain::SystemClock)).unwrap();
        Self { db: Arc::new(db), settings, components }
    }

    /// A second instance of the service on the same database and settings, its time read from `clock`.
    pub fn another_instance(&self, clock: Arc<dyn auth_domain::Clock>) -> Self {
        let components = Components::build(&self.settings, clock).unwrap();
        Self { db: self.db.clone(), settings: self.settings.clone(), components }
    }

    /// The real service on `backend` with `vars` over the test settings, its time read from `clock`.
    pub fn with_clock(backend: Backend, vars: &[(&str, &str)], clock: Arc<dyn auth_domain::Clock>) -> Self {
        let db = TestDatabase::new(backend);
        let mut pairs = vec![("APP__DATABASE__URL", db.url())];
        pairs.extend_from_slice(vars);
        let settings = test_settings_with(&pairs);
        let components = Components::build(&settings, clock).unwrap();
        Self { db: Arc::new(db), settings, components }
    }

    /// An app over an existing store (e.g. one whose database is unreachable).
    pub fn over_store(db: TestDatabase, settings: Settings, store: Arc<DieselStore>) -> Self {
        let components = Components::over_store(&settings, store, Arc::new(auth_domain::SystemClock)).unwrap();
        Self { db: Arc::new(db), settings, components }
    }

    /// What this instance's key task does on its schedule (every `tokens.key_refresh_secs`): read the
    /// signing keys, rotating when due.
    pub fn read_keys(&self, now: DateTime<Utc>) {
        self.service().token_codec().key_ring().expect("EdDSA").refresh(now).unwrap();
    }

    /// Starts this instance's key task, as the server does; it stops with the returned handle.
    pub fn start_key_task(&self) -> actix_web::rt::task::JoinHandle<()> {
        self.components.spawn_key_task().expect("EdDSA")
    }

    /// The real service on `backend` sending email over SMTP to `smtp_url`, with `vars` over that.
    pub fn with_email(backend: Backend, smtp_url: &str, vars: &[(&str, &str)]) -> Self {
        let db = TestDatabase::new(backend);
        let mut pairs = vec![
            ("APP__DATABASE__URL", db.url()),
            ("APP__EMAIL__TRANSPORT", "smtp"),
            ("APP__EMAIL__SMTP_URL", smtp_url),
            ("APP__EMAIL__PUBLIC_URL", "https://auth.example.test"),
        ];
        pairs.extend_from_slice(vars);
        let settings = test_settings_with(&pairs);
        Self::with_settings(db, settings)
    }

    /// Starts this instance's outbox sender, as the server does; it stops with the returned handle.
    pub fn start_outbox_sender(&self) -> actix_web::rt::task::JoinHandle<()> {
        self.components.spawn_outbox_sender().expect("email is on")
    }

    /// What the feed task does on each poll: the rows written since are published.
    pub fn publish_feed(&self) {
        let hub = self.components.feed();
        let rows = self.service().feed_rows_after(hub.read_from(), 1000).unwrap();
        hub.absorb(rows, std::time::Instant::now());
    }

    /// How many hash slots requests have taken.
    pub fn hash_slots_taken(&self) -> u64 {
        self.components.hashes().granted()
    }

    /// The service, shared (for what outlives a call, as a verifier's key source).
    pub fn service_arc(&self) -> std::sync::Arc<auth_domain::AuthService> {
        self.components.service().clone().into_inner()
    }

    /// The service itself (what the command line calls).
    pub fn service(&self) -> &auth_domain::AuthService {
        self.components.service()
    }

    /// Sends the request and checks the reply against the OpenAPI document (see `openapi_check`).
    pub async fn call(&self, request: test::TestRequest) -> Reply {
        let app = test::init_service(App::new().configure(|cfg| self.components.configure(cfg))).await;
        let request = request.to_request();
        let (method, path) = (request.method().as_str().to_ascii_lowercase(), request.path().to_owned());
        let response = test::call_service(&app, request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers.get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = test::read_body(response).await;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{status}: body is not JSON: {:?}", String::from_utf8_lossy(&bytes)));
        crate::openapi_check::validate(&method, &path, status.as_u16(), &body);
        Reply { status, content_type, headers, body }
    }

    /// Status and headers of a reply, whatever its body.
    pub async fn head_of(&self, request: test::TestRequest) -> (u16, actix_web::http::header::HeaderMap) {
        let app = test::init_service(App::new().configure(|cfg| self.components.configure(cfg))).await;
        let response = test::call_service(&app, request.to_request()).await;
        (response.status().as_u16(), response.headers().clone())
    }

    /// Status and text of a reply that is not JSON (the docs page and its assets).
    pub async fn raw(&self, request: test::TestRequest) -> (u16, String) {
        let app = test::init_service(App::new().configure(|cfg| self.components.configure(cfg))).await;
        let response = test::call_service(&app, request.to_request()).await;
        let status = response.status().as_u16();
        (status, String::from_utf8_lossy(&test::read_body(response).await).into_owned())
    }

    /// A request with `Authorization: Bearer <token>`.
    pub async fn with_token(&self, request: test::TestRequest, token: &str) -> Reply {
        self.call(request.insert_header(("Authorization", format!("Bearer {token}")))).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.post_json("/auth/refresh", json!({"refresh_token": refresh_token})).await
    }

    pub async fn sessions(&self, token: &str) -> Reply {
        self.with_token(test::TestRequest::get().uri("/auth/sessions"), token).await
    }

    pub async fn end_session(&self, token: &str, id: &str) -> Reply {
        self.with_token(test::TestRequest::delete().uri(&format!("/auth/sessions/{id}")), token).await
    }

    pub async fn logout_scope(&self, token: &str, scope: &str) -> Reply {
        self.with_token(test::TestRequest::post().uri(&format!("/auth/logout?scope={scope}")), token).await
    }

    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Reply {
        let body = json!({"current_password": current, "new_password": new});
        self.with_token(test::TestRequest::post().uri("/auth/password").set_json(body), token).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.call(test::TestRequest::post().uri(path).set_json(body)).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Reply {
        self.post_json("/auth/register", json!({"email": email, "password": password})).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post_json("/auth/login", json!({"email": email, "password": password})).await
    }

    pub async fn status_with_header(&self, authorization: Option<&str>) -> Reply {
        let mut request = test::TestRequest::get().uri("/auth/status");
        if let Some(value) = authorization {
            request = request.insert_header(("Authorization", value));
        }
        self.call(request).await
    }

    pub async fn logout_with_header(&self, authorization: Option<&str>) -> Reply {
        let mut request = test::TestRequest::post().uri("/auth/logout");
        if let Some(value) = authorization {
            request = request.insert_header(("Authorization", value));
        }
        self.call(request).await
    }

    pub async fn status(&self, token: &str) -> Reply {
        self.status_with_header(Some(&format!("Bearer {token}"))).await
    }

    pub async fn logout(&self, token: &str) -> Reply {
        self.logout_with_header(Some(&format!("Bearer {token}"))).await
    }

    /// Registers the default user and returns their token.
    pub async fn registered_user(&self) -> String {
        self.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.")
    }

    /// A token for `user_id` signed with the service's own key but issued at `issued_at`, as a
    /// service whose clock read `issued_at` would have issued it.
    pub fn token_issued_at(&self, user_id: i64, issued_at: DateTime<Utc>) -> String {
        self.service()
            .token_codec()
            .issue_sessionless(UserId(user_id), issued_at)
            .unwrap()
            .token
            .expose_secret()
            .to_owned()
    }

    /// The `jti` a token carries (the key of its revocation row).
    pub fn jti_of(&self, token: &str) -> String {
        claims_of(token)["jti"].as_str().unwrap().to_owned()
    }

    pub fn token_signed_with(&self, secret: &str, user_id: i64) -> String {
        self.codec_with_secret(secret)
            .issue_sessionless(UserId(user_id), Utc::now())
            .unwrap()
            .token
            .expose_secret()
            .to_owned()
    }

    fn codec_with_secret(&self, secret: &str) -> TokenCodec {
        let signer = auth_domain::Signer::hs256(&secret.to_owned().into()).unwrap();
        TokenCodec::new(&auth_domain::TokenSettings::from(&self.settings.tokens), signer).unwrap()
    }
}

/// A PKCS#8 (RFC 8410) Ed25519 private key from a 32-byte seed: a key that is not the service's.
pub fn foreign_eddsa_key(seed: u8) -> jsonwebtoken::EncodingKey {
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend([seed; 32]);
    jsonwebtoken::EncodingKey::from_ed_der(&der)
}

/// The claims of a JWT, read without checking it (the tests check what the service put there).
pub fn claims_of(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}
