//! The pages links in emails open, in a real browser: headless Chromium (Debian's `chromium`; CHROMIUM
//! names another binary) opens the link from a real email, as a phone-sized window, submits the form,
//! and the outcome is checked over HTTP and in the database.

use crate::common::{Served, auth_server, blocking, post_json};
use auth_testkit::{SmtpServer, TestDatabase};
use headless_chrome::{Browser, LaunchOptions};
use serde_json::json;
use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

fn chromium() -> Browser {
    let path = std::env::var_os("CHROMIUM").map_or_else(|| std::path::PathBuf::from("/usr/bin/chromium"), Into::into);
    assert!(
        path.exists(),
        "{} not found: the hosted pages are tested in headless Chromium (Debian: apt-get install chromium; \
         or set CHROMIUM to a Chromium binary)",
        path.display()
    );
    // without the background-networking flags Chromium keeps trying to reach Google's hosts
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .window_size(Some((390, 844)))
        .args(args)
        .idle_browser_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    Browser::new(options).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Opens `link`, fills in `fields` (selector, text), presses the button and returns what the page then
/// says.
fn submit_in_browser(browser: &Browser, link: &str, fields: &[(&str, &str)], screenshot: Option<&str>) -> String {
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));
    tab.navigate_to(link).unwrap().wait_until_navigated().unwrap();
    // the page takes the token out of the address bar (no history, no Referer carries it)
    assert!(!tab.get_url().contains("token="), "{}", tab.get_url());
    for (selector, text) in fields {
        tab.wait_for_element(selector).unwrap().click().unwrap();
        tab.type_str(text).unwrap();
    }
    if let Some(path) = screenshot {
        let png = tab
            .capture_screenshot(
                headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png,
                None,
                None,
                true,
            )
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
    tab.wait_for_element("button[type=submit]").unwrap().click().unwrap();
    let outcome = tab.wait_for_element("#outcome.success, #outcome.fail").unwrap();
    outcome.get_inner_text().unwrap()
}

/// Register, open the verification link, press the button; forget the password, open the reset link,
/// set a new one, log in with it.
#[actix_web::test]
async fn the_links_from_real_emails_work_in_a_browser() {
    let smtp = SmtpServer::start();
    let db = TestDatabase::sqlite();
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let mut command = auth_server("test", db.url());
    command
        .env("APP__SERVER__PORT", port.to_string())
        .env("APP__EMAIL__TRANSPORT", "smtp")
        .env("APP__EMAIL__SMTP_URL", smtp.url())
        .env("APP__EMAIL__PUBLIC_URL", &public_url)
        .args(["serve", "--print-address"]);
    let server = Served::spawn(command.stdout(Stdio::piped()).stderr(Stdio::null()));
    let port = server.port;
    let mailbox = smtp.mailbox();

    let outcome = blocking(move || {
        let registered = post_json(port, "/auth/register", &json!({"email": "joe@example.com", "password": "123456"}));
        assert_eq!(registered.status, 201, "{registered:?}");
        let browser = chromium();
        let verify_link = mailbox.wait_for(1, Duration::from_secs(15))[0].link().unwrap();
        assert!(verify_link.starts_with(&format!("{public_url}/auth/verify?token=")), "{verify_link}");
        let verified = submit_in_browser(&browser, &verify_link, &[], None);

        let forgot = post_json(port, "/auth/password/forgot", &json!({"email": "joe@example.com"}));
        assert_eq!(forgot.status, 202, "{forgot:?}");
        let reset_link = mailbox.wait_for(2, Duration::from_secs(15))[1].link().unwrap();
        assert!(reset_link.starts_with(&format!("{public_url}/auth/reset?token=")), "{reset_link}");
        let screenshot = std::env::var("AUTH_PAGES_SCREENSHOT").ok();
        let fields = [("input[name=new_password]", "a new password"), ("input[name=repeat]", "a new password")];
        let reset = submit_in_browser(&browser, &reset_link, &fields, screenshot.as_deref());
        // the same link again, in a fresh tab: used up
        let again = submit_in_browser(&browser, &reset_link, &fields, None);
        (verified, reset, again)
    })
    .await;
    assert_eq!(outcome.0, "Email verified. You can close this page.");
    assert_eq!(outcome.1, "Password reset. Log in with your new password.");
    assert_eq!(outcome.2, "Invalid or expired link.");

    let login = blocking(move || {
        let old = post_json(port, "/auth/login", &json!({"email": "joe@example.com", "password": "123456"}));
        let new = post_json(port, "/auth/login", &json!({"email": "joe@example.com", "password": "a new password"}));
        (old.status, new.status, new.json()["message"].clone())
    })
    .await;
    assert_eq!(login, (404, 200, json!("Successfully logged in.")));
    let user = db.users().remove(0);
    assert!(user.email_verified_at.is_some());
    assert_eq!(db.links().iter().filter(|l| l.used_at.is_some()).count(), 2);
    drop(server);
}
