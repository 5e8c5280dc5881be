//! Whether the client of a request is still connected, and how long it may take to send a body.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};
use std::mem::MaybeUninit;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

/// A duplicate of a connection's socket, made when the connection is accepted (`HttpServer::on_connect`),
/// to ask the kernel whether the client has closed its side: a login from a client that already hung
/// up must not take a bcrypt slot from one that is waiting.
#[derive(Debug, Clone)]
pub struct ClientSocket(Arc<socket2::Socket>);

impl ClientSocket {
    /// `None` when the descriptor cannot be duplicated (the request is then served as before).
    pub fn of(stream: &impl AsFd) -> Option<Self> {
        let fd = stream.as_fd().try_clone_to_owned().ok()?;
        Some(Self(Arc::new(socket2::Socket::from(fd))))
    }

    /// True once the client has closed the connection (or reset it). A peek never consumes data and,
    /// on the non-blocking socket it shares with the server, never waits.
    pub fn is_gone(&self) -> bool {
        let mut byte = [MaybeUninit::<u8>::uninit()];
        match self.0.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted),
        }
    }
}

/// The request's client connection, when the server recorded one (in-process tests have none).
#[derive(Debug, Clone, Default)]
pub struct ClientConnection(Option<ClientSocket>);

impl ClientConnection {
    pub fn is_gone(&self) -> bool {
        self.0.as_ref().is_some_and(ClientSocket::is_gone)
    }
}

impl FromRequest for ClientConnection {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.conn_data::<ClientSocket>().cloned())))
    }
}

/// How long a request body may take to arrive (`server.body_timeout_ms`).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

impl BodyTimeout {
    pub const DEFAULT: Duration = Duration::from_secs(5);

    pub(crate) fn of(req: &HttpRequest) -> Duration {
        req.app_data::<actix_web::web::Data<BodyTimeout>>().map_or(Self::DEFAULT, |t| t.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn sees_the_peer_close() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let socket = ClientSocket::of(&server).unwrap();
        assert!(!socket.is_gone());
        client.write_all(b"pipelined").unwrap();
        // unread data is not a close
        while server.peek(&mut [0; 1]).is_err() {}
        assert!(!socket.is_gone());
        let mut buf = [0; 9];
        std::io::Read::read_exact(&mut &server, &mut buf).unwrap();
        client.shutdown(std::net::Shutdown::Both).unwrap();
        drop(client);
        while !socket.is_gone() {
            std::thread::yield_now();
        }
        assert!(socket.is_gone());
    }
}
