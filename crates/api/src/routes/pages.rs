//! The pages links in emails open: `GET /auth/verify`, `/auth/reset` and `/auth/email/confirm`, each with
//! `?token=`. Opening one changes nothing (mail scanners fetch links before people do); its form posts
//! the token to the JSON endpoint and shows the answer. No external assets; a Content-Security-Policy that
//! allows only this page's own script and style (by hash), calls to this service and nothing else; no
//! Referer (the token is in the address); never cached.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_domain::{AuthService, LinkToken};
use base64::Engine;
use sha2::Digest;
use std::sync::OnceLock;

/// A few lines of script: post the form as JSON, show the answer, take the token out of the address bar.
const SCRIPT: &str = r#"
const form = document.getElementById('form');
const outcome = document.getElementById('outcome');
history.replaceState(null, '', location.pathname);
const say = (text, status) => { outcome.textContent = text; outcome.className = status; };
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { token: form.elements.token.value };
  const password = form.elements.new_password;
  if (password) {
    if (password.value !== form.elements.repeat.value) { say('The two passwords differ.', 'fail'); return; }
    body.new_password = password.value;
  }
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const reply = await fetch(form.dataset.endpoint, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      credentials: 'omit', referrerPolicy: 'no-referrer',
    });
    const answer = await reply.json();
    say(reply.ok ? answer.message + ' ' + form.dataset.done : answer.message, answer.status);
    if (reply.ok) { form.hidden = true; } else { button.disabled = false; }
  } catch (error) {
    say('The service could not be reached. Please try again.', 'fail');
    button.disabled = false;
  }
});
"#;

const STYLE: &str = "
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0; padding: 1.5rem; color: #1b1b1b; }
main { max-width: 26rem; margin: 0 auto; }
h1 { font-size: 1.4rem; }
label { display: block; margin-top: 1rem; }
input { display: block; width: 100%; box-sizing: border-box; font-size: 1rem; padding: 0.6rem; margin-top: 0.3rem; }
button { margin-top: 1.2rem; width: 100%; font-size: 1rem; padding: 0.7rem; border: 0; border-radius: 0.3rem;
  background: #1f5fbf; color: #fff; }
button:disabled { background: #8aa6d0; }
.success { color: #176b2c; font-weight: 600; }
.fail { color: #a4161a; font-weight: 600; }
";

/// What a page says and does.
struct Page {
    title: &'static str,
    intro: &'static str,
    button: &'static str,
    /// The JSON endpoint, relative to the page (so that a path prefix in front of the service holds).
    endpoint: &'static str,
    /// Said after the endpoint's own message on success.
    done: &'static str,
    password_fields: bool,
}

const VERIFY: Page = Page {
    title: "Verify your email address",
    intro: "Press the button to confirm that this address is yours.",
    button: "Verify my email address",
    endpoint: "verify",
    done: "You can close this page.",
    password_fields: false,
};

const RESET: Page = Page {
    title: "Choose a new password",
    intro: "Every device signed in to your account will be signed out.",
    button: "Set the new password",
    endpoint: "password/reset",
    done: "Log in with your new password.",
    password_fields: true,
};

const CONFIRM: Page = Page {
    title: "Confirm your new email address",
    intro: "Press the button to move your account to this address.",
    button: "Confirm the new address",
    endpoint: "confirm",
    done: "Log in with your new address from now on.",
    password_fields: false,
};

/// The link's `token` from the query: the first and only one (two are no token).
fn token(request: &HttpRequest) -> Option<LinkToken> {
    let mut tokens = request.query_string().split('&').filter_map(|pair| pair.strip_prefix("token="));
    match (tokens.next(), tokens.next()) {
        (Some(token), None) => LinkToken::parse(token),
        _ => None,
    }
}

#[utoipa::path(
    get,
    path = "/auth/verify",
    tag = "account",
    params(("token" = String, Query, pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$", description = "The token the email's link carries (43 characters of base64url)")),
    responses(
        (status = 200, description = "The page of a verification link: an HTML page whose form posts the token (opening it changes nothing)", content_type = "text/html", body = String),
        (status = 400, description = "No well-formed token: an HTML page that says `Invalid or expired link.`", content_type = "text/html", body = String),
    )
)]
pub async fn verify_page(request: HttpRequest) -> HttpResponse {
    page(&VERIFY, token(&request), 0)
}

#[utoipa::path(
    get,
    path = "/auth/reset",
    tag = "account",
    params(("token" = String, Query, pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$", description = "The token the email's link carries (43 characters of base64url)")),
    responses(
        (status = 200, description = "The page of a reset link, with the new password's fields: an HTML page whose form posts the token (opening it changes nothing)", content_type = "text/html", body = String),
        (status = 400, description = "No well-formed token: an HTML page that says `Invalid or expired link.`", content_type = "text/html", body = String),
    )
)]
pub async fn reset_page(service: web::Data<AuthService>, request: HttpRequest) -> HttpResponse {
    page(&RESET, token(&request), service.password_policy().min_length)
}

#[utoipa::path(
    get,
    path = "/auth/email/confirm",
    tag = "account",
    params(("token" = String, Query, pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$", description = "The token the email's link carries (43 characters of base64url)")),
    responses(
        (status = 200, description = "The page of an email-change link: an HTML page whose form posts the token (opening it changes nothing)", content_type = "text/html", body = String),
        (status = 400, description = "No well-formed token: an HTML page that says `Invalid or expired link.`", content_type = "text/html", body = String),
    )
)]
pub async fn confirm_page(request: HttpRequest) -> HttpResponse {
    page(&CONFIRM, token(&request), 0)
}

fn page(page: &Page, token: Option<LinkToken>, min_length: usize) -> HttpResponse {
    // Only a well-formed token is put into the page (43 base64url characters: nothing to escape); it is
    // not looked up: a GET changes nothing and tells nothing.
    let (status, content) = match &token {
        Some(token) => (actix_web::http::StatusCode::OK, form(page, token.expose(), min_length)),
        None => (
            actix_web::http::StatusCode::BAD_REQUEST,
            r#"<p class="fail" role="alert">Invalid or expired link.</p>"#.to_owned(),
        ),
    };
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{title}</h1>
{content}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        title = page.title,
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy()))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(html)
}

fn form(page: &Page, token: &str, min_length: usize) -> String {
    let passwords = if page.password_fields {
        format!(
            r#"<label>New password<input type="password" name="new_password" autocomplete="new-password" minlength="{min_length}" maxlength="128" required></label>
<label>The new password again<input type="password" name="repeat" autocomplete="new-password" minlength="{min_length}" maxlength="128" required></label>"#
        )
    } else {
        String::new()
    };
    format!(
        r#"<p>{intro}</p>
<form id="form" data-endpoint="{endpoint}" data-done="{done}">
<input type="hidden" name="token" value="{token}">
{passwords}
<button type="submit">{button}</button>
</form>
<p id="outcome" role="status" aria-live="polite"></p>
<noscript><p class="fail">This page needs JavaScript to send the form.</p></noscript>"#,
        intro = page.intro,
        endpoint = page.endpoint,
        done = page.done,
        button = page.button,
    )
}

/// The Content-Security-Policy: this page's script and style by their SHA-256, requests to this service.
fn policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()));
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            hash(SCRIPT),
            hash(STYLE)
        )
    })
}
