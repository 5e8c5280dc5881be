//! The listening socket, with a listen queue deep enough for a burst of connections.
//!
//! `std::net::TcpListener::bind` listens with a backlog of 128. A burst of 1,000 connects overflowed
//! that queue: the kernel dropped SYNs, answered others with SYN cookies, and the cookies that had gone
//! stale by the time the client's data arrived were answered with a reset ("connection reset by peer"
//! in the login-flood test, 9 of 1,000 in one run). actix's own `bind` would use 2,048.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

/// Binds `address` (the first of its resolved addresses that can be bound, as `TcpListener::bind`
/// does) and listens with `backlog` places. Returns the listener and the port it got.
pub fn listen(address: &str, backlog: u32) -> std::io::Result<(TcpListener, u16)> {
    let mut last_error = None;
    for candidate in address.to_socket_addrs()? {
        match listen_on(candidate, backlog) {
            Ok(listener) => {
                let port = listener.local_addr()?.port();
                return Ok((listener, port));
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error
        .unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "the address resolved to nothing")))
}

fn listen_on(address: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))?;
    // as std and actix do: a restarted server can bind while the old one's connections are in TIME_WAIT
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// The kernel silently caps a backlog at `net.core.somaxconn`; `None` where that cannot be read.
pub fn kernel_backlog_cap() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn").ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;
    use std::time::Duration;

    /// Nobody accepts here, so every connect that completes is a place in the listen queue; a full queue
    /// drops the SYN and the connect waits out its timeout.
    #[test]
    fn a_burst_of_connections_waits_in_the_listen_queue() {
        let burst = kernel_backlog_cap().unwrap_or(1000).min(1000) as usize;
        let (listener, port) = listen("127.0.0.1:0", 2048).unwrap();
        let held: Vec<TcpStream> = (0..burst)
            .map(|n| {
                TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_secs(3))
                    .unwrap_or_else(|e| panic!("connection {n} of {burst} was not queued: {e}"))
            })
            .collect();
        assert_eq!(held.len(), burst);
        drop(listener);
    }

    #[test]
    fn the_port_is_the_one_bound() {
        let (listener, port) = listen("127.0.0.1:0", 16).unwrap();
        assert_ne!(port, 0);
        assert_eq!(listener.local_addr().unwrap().port(), port);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    }

    #[test]
    fn a_taken_port_is_an_error() {
        let (_first, port) = listen("127.0.0.1:0", 16).unwrap();
        let second = listen(&format!("127.0.0.1:{port}"), 16).unwrap_err();
        assert_eq!(second.kind(), std::io::ErrorKind::AddrInUse);
    }

    #[test]
    fn a_name_resolves_to_its_addresses() {
        let (_listener, port) = listen("localhost:0", 16).unwrap();
        assert_ne!(port, 0);
    }
}
