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

    pub(crate) fn check(&self) -> Result<(), NotReady> {
        let replaced = || NotReady::FileReplaced(self.path.display().to_string());
        let now = self.identity().ok_or_else(replaced)?;
        match self.first_seen.get_or_init(|| now) {
            first if *first == now => Ok(()),
            _ => Err(replaced()),
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
