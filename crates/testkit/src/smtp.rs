//! A real SMTP server in the test process: the protocol is `mailin`'s state machine, spoken over TCP on
//! loopback, one thread per connection. What it receives is parsed (`mail-parser`) and kept for the test
//! to read. It can be stopped and started again on the same port (a mail server that goes down).

use mailin::response::{AUTH_OK, AUTHENTICATION_REQUIRED, INVALID_CREDENTIALS, OK};
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One message as it arrived: the envelope and the parsed parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The message as sent, headers and all.
    pub raw: String,
}

impl ReceivedMail {
    /// The first `http(s)://...?token=...` link of the text part.
    pub fn link(&self) -> Option<String> {
        self.text.split_whitespace().find(|w| w.starts_with("http") && w.contains("?token=")).map(str::to_owned)
    }

    /// The `token` parameter of the text part's link.
    pub fn token(&self) -> Option<String> {
        self.link()?.split("?token=").nth(1).map(str::to_owned)
    }
}

#[derive(Default)]
struct Inbox {
    mail: Mutex<Vec<ReceivedMail>>,
    arrived: Condvar,
}

/// A running SMTP server on 127.0.0.1.
pub struct SmtpServer {
    port: u16,
    inbox: Arc<Inbox>,
    credentials: Option<(String, String)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Listens on a port the system picks.
    pub fn start() -> Self {
        Self::listen(0, Arc::default(), None)
    }

    /// Asks for `AUTH PLAIN` with these credentials before it takes a message.
    pub fn start_with_credentials(user: &str, password: &str) -> Self {
        Self::listen(0, Arc::default(), Some((user.to_owned(), password.to_owned())))
    }

    fn listen(port: u16, inbox: Arc<Inbox>, credentials: Option<(String, String)>) -> Self {
        // after a stop the port may take a moment to be free again
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(listener) => break listener,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("the test SMTP server cannot listen on port {port}: {e}"),
            }
        };
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (inbox_for, stop_for, credentials_for) = (inbox.clone(), stop.clone(), credentials.clone());
        let thread = std::thread::spawn(move || {
            while !stop_for.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, peer)) => {
                        let (inbox, credentials) = (inbox_for.clone(), credentials_for.clone());
                        std::thread::spawn(move || serve(stream, peer.ip(), inbox, credentials));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            // the listener closes here: the port refuses connections until started again
        });
        Self { port, inbox, credentials, stop, thread: Some(thread) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>` (with the credentials, when it asks for them).
    pub fn url(&self) -> String {
        match &self.credentials {
            Some((user, password)) => format!("smtp://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("smtp://127.0.0.1:{}", self.port),
        }
    }

    /// Stops listening: connections to the port are refused until `restart`.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }

    /// Listens again on the same port, keeping what was received.
    pub fn restart(&mut self) {
        self.stop();
        let again = Self::listen(self.port, self.inbox.clone(), self.credentials.clone());
        *self = again;
    }

    /// What was received, readable from another thread.
    pub fn mailbox(&self) -> Mailbox {
        Mailbox(self.inbox.clone())
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mailbox().received()
    }
}

/// The messages a server received (survives its restarts).
#[derive(Clone)]
pub struct Mailbox(Arc<Inbox>);

impl Mailbox {
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.0.mail.lock().unwrap().clone()
    }

    /// Waits until `count` messages have arrived (at most `timeout`), then returns all of them. It blocks:
    /// call it off the async executor that sends them.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        let mut mail = self.0.mail.lock().unwrap();
        while mail.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{} of {count} emails arrived within {timeout:?}: {mail:#?}", mail.len());
            mail = self.0.arrived.wait_timeout(mail, left).unwrap().0;
        }
        mail.clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One SMTP session: lines in, the state machine's replies out.
fn serve(stream: TcpStream, peer: IpAddr, inbox: Arc<Inbox>, credentials: Option<(String, String)>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut builder = SessionBuilder::new("testkit-smtp");
    if credentials.is_some() {
        builder.enable_auth(AuthMechanism::Plain);
        // loopback in a test: no TLS to speak of
        builder.insecure_enable_plaintext_auth();
    }
    let handler = Collector { inbox, credentials, ..Collector::default() };
    let mut session = builder.build(peer, handler);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    if session.greeting().write_to(&mut writer).is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => {
                if response.write_to(&mut writer).is_err() {
                    return;
                }
            }
            Action::Close | Action::UpgradeTls => {
                let _ = response.write_to(&mut writer);
                let _ = writer.flush();
                return;
            }
            Action::NoReply => {}
        }
    }
}

#[derive(Default)]
struct Collector {
    inbox: Arc<Inbox>,
    credentials: Option<(String, String)>,
    authenticated: bool,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        if self.credentials.is_some() && !self.authenticated {
            return AUTHENTICATION_REQUIRED;
        }
        self.from = from.to_owned();
        self.to.clear();
        OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        self.to.push(to.to_owned());
        OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let raw = String::from_utf8_lossy(&self.data).into_owned();
        let parsed = mail_parser::MessageParser::default().parse(&self.data);
        let (subject, text, html) = match &parsed {
            Some(m) => (
                m.subject().unwrap_or_default().to_owned(),
                m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            ),
            None => Default::default(),
        };
        let message =
            ReceivedMail { from: self.from.clone(), to: std::mem::take(&mut self.to), subject, text, html, raw };
        self.inbox.mail.lock().unwrap().push(message);
        self.inbox.arrived.notify_all();
        OK
    }

    fn auth_plain(&mut self, _authorization_id: &str, user: &str, password: &str) -> Response {
        match &self.credentials {
            Some((u, p)) if u == user && p == password => {
                self.authenticated = true;
                AUTH_OK
            }
            _ => INVALID_CREDENTIALS,
        }
    }
}
