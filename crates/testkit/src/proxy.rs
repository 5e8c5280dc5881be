//! A TCP proxy between the service and PostgreSQL that a test can cut and restore, to simulate the
//! database going away (every open connection is closed, new ones are refused) and coming back.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct TcpProxy {
    address: SocketAddr,
    state: Arc<State>,
}

struct State {
    target: SocketAddr,
    cut: AtomicBool,
    stopped: AtomicBool,
    open: Mutex<Vec<TcpStream>>,
}

impl TcpProxy {
    /// Listens on 127.0.0.1 on a free port and forwards every connection to `target`.
    pub fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let address = listener.local_addr().expect("proxy address");
        let state = Arc::new(State {
            target,
            cut: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        });
        let accept_state = state.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if accept_state.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if accept_state.cut.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let _ = forward(&accept_state, client);
            }
        });
        Self { address, state }
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The database "goes away": open connections are closed and new ones are dropped at once.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        for stream in self.state.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The database is back.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

fn forward(state: &State, client: TcpStream) -> io::Result<()> {
    let upstream = TcpStream::connect(state.target)?;
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    {
        let mut open = state.open.lock().unwrap();
        open.push(client.try_clone()?);
        open.push(upstream.try_clone()?);
    }
    pipe(client.try_clone()?, upstream.try_clone()?);
    pipe(upstream, client);
    Ok(())
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.cut();
        // wake the accept loop so it sees `stopped`
        let _ = TcpStream::connect(self.address);
    }
}
