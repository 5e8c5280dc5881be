use auth_domain::NotReady;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The identity (device and inode) of the SQLite file a store opened. A file deleted or replaced
/// while the service runs keeps serving from the open handles, and what is written there is gone at
/// the next start: readiness compares the file now at the path with the one first seen there.
#[derive(Debug, Clone)]
pub(crate) struct SqliteFile {
    path: PathBuf,
    first_seen: Arc<OnceLock<(u64, u64)>>,
}

impl SqliteFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        let file = Self { path, first_seen: Arc::default() };
        if let Some(id) = file.identity() {
            let _ = file.first_seen.set(id);
        }
        file
    }

    /// A file never seen yet is left to the pool to report (it cannot connect to it); a file seen once
    /// must stay the same file.
    pub(crate) fn check(&self) -> Result<(), NotReady> {
        let replaced = || NotReady::FileReplaced(self.path.display().to_string());
        match (self.first_seen.get(), self.identity()) {
            (None, None) => Ok(()),
            (None, Some(now)) => {
                let _ = self.first_seen.set(now);
                Ok(())
            }
            (Some(first), Some(now)) if *first == now => Ok(()),
            (Some(_), _) => Err(replaced()),
        }
    }

    #[cfg(unix)]
    fn identity(&self) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&self.path).ok().map(|m| (m.dev(), m.ino()))
    }

    #[cfg(not(unix))]
    fn identity(&self) -> Option<(u64, u64)> {
        std::fs::metadata(&self.path).ok().map(|_| (0, 0))
    }
}
