//! What the server's test binaries share: settings from `config/`, the binary with a clean environment,
//! a served process that reports the port it bound, the in-process application, and bare HTTP.

use auth_server::{Application, Environment, Settings};
use auth_testkit::TestDatabase;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

pub fn vars(pairs: &[(&str, &str)]) -> config::Map<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// `environment`'s settings with `pairs` standing in for the process environment.
pub fn load(environment: Environment, pairs: &[(&str, &str)]) -> Settings {
    Settings::load_from(&config_dir(), environment, vars(pairs)).unwrap()
}

/// The test environment's settings on `database_url`, with `extra` overrides.
pub fn test_settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut pairs = vec![("APP__DATABASE__URL", database_url)];
    pairs.extend_from_slice(extra);
    load(Environment::Test, &pairs)
}

/// The `auth-server` binary with nothing from this process's environment but what is set here.
pub fn auth_server(environment: &str, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth-server"));
    command
        .env_clear()
        .env("APP_CONFIG_DIR", config_dir())
        .env("APP_ENVIRONMENT", environment)
        .env("APP__DATABASE__URL", database_url)
        .stdin(Stdio::null());
    command
}

/// `auth-server serve` as a process of its own, on a port it picked itself and reported (no port is
/// chosen here and handed over, which another test could take in between). Killed when dropped.
pub struct Served {
    pub child: Child,
    pub port: u16,
}

impl Served {
    /// Serves in the test environment on `database_url`; the log goes where `stderr` says.
    pub fn start(database_url: &str, extra: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut command = auth_server("test", database_url);
        command.env("APP__SERVER__PORT", "0").args(["serve", "--print-address"]);
        for (name, value) in extra {
            command.env(name, value);
        }
        Self::spawn(command.stdout(Stdio::piped()).stderr(stderr))
    }

    /// Spawns `command` (a `serve --print-address` with its stdout piped) and waits for its address.
    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address reported: {line:?} ({:?})", child.try_wait()));
        Self { child, port }
    }

    pub fn terminate(&self) {
        let killed = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(killed.success());
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The application in this process, serving on a port of its own until stopped.
pub struct Running {
    pub port: u16,
    pub metrics_port: Option<u16>,
    pub handle: actix_web::dev::ServerHandle,
    /// The database the server runs on, kept until it stops.
    pub _db: TestDatabase,
}

impl Running {
    /// On a fresh SQLite database with the test settings and `extra`.
    pub async fn start(extra: &[(&str, &str)]) -> Self {
        let db = TestDatabase::sqlite();
        let app = Application::build(&test_settings(db.url(), extra)).unwrap();
        let (port, metrics_port, handle) = (app.port(), app.metrics_port(), app.handle());
        actix_web::rt::spawn(app.run_until_stopped());
        Self { port, metrics_port, handle, _db: db }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A reply read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// One HTTP/1.1 request on a connection of its own (`Connection: close`), blocking.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> std::io::Result<Reply> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(stream, "{head}\r\n{body}")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok(Reply { status, head: head.to_owned(), body: body.to_owned() })
}

/// `http` with a JSON body.
pub fn post_json(port: u16, path: &str, body: &serde_json::Value) -> Reply {
    http(port, "POST", path, &[("Content-Type", "application/json")], &body.to_string()).unwrap()
}

/// `http` on a blocking thread, for async tests.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    actix_web::rt::task::spawn_blocking(f).await.unwrap()
}
