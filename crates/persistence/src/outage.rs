use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Logs a database outage once when it starts and once when it ends, however many connection attempts
/// (the pool keeps retrying in the background) fail in between.
#[derive(Debug, Clone, Default)]
pub struct OutageLog {
    down: Arc<AtomicBool>,
}

impl OutageLog {
    pub fn connection_failed(&self, error: &dyn Display) {
        if self.down.swap(true, Ordering::SeqCst) {
            tracing::debug!(%error, "database still unavailable");
        } else {
            tracing::error!(%error, "database unavailable; requests get 503 until it is back");
        }
    }

    pub fn connection_made(&self) {
        if self.down.swap(false, Ordering::SeqCst) {
            tracing::info!("database reachable again");
        }
    }
}

impl r2d2::HandleError<diesel::r2d2::Error> for OutageLog {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        self.connection_failed(&error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn an_outage_is_logged_once_with_its_cause_and_once_when_it_ends() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt().with_writer(captured.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || {
            let log = OutageLog::default();
            log.connection_made();
            for _ in 0..50 {
                log.connection_failed(&"connection refused");
            }
            log.connection_made();
            log.connection_made();
            log.connection_failed(&"password authentication failed");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].contains("ERROR") && lines[0].contains("connection refused"), "{text}");
        assert!(lines[1].contains("INFO") && lines[1].contains("database reachable again"), "{text}");
        assert!(lines[2].contains("ERROR") && lines[2].contains("password authentication failed"), "{text}");
    }
}
