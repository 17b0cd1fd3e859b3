//! Scratch files and folders that must not outlive an interrupted process.
//!
//! A `.part` video being encoded and a batch's download folder are temporary: dropped, they
//! remove themselves. A signal ends the process without running destructors, so each one is
//! also registered here while it exists, and the program's signal handler calls
//! [`remove_all`] before it exits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A set of live scratch paths. The program has one ([`register`], [`remove_all`]); tests
/// make their own so that clearing one cannot delete another test's files.
pub struct Registry(Mutex<BTreeSet<PathBuf>>);

static LIVE: Registry = Registry::new();

/// Keeps `path` registered until dropped. Dropping does not delete anything: the owner
/// (a `tempfile` handle) does that, or keeps the file by moving it into place.
#[derive(Debug)]
pub struct Registered {
    path: PathBuf,
    registry: &'static Registry,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

impl Registry {
    pub const fn new() -> Self {
        Registry(Mutex::new(BTreeSet::new()))
    }

    fn paths(&self) -> std::sync::MutexGuard<'_, BTreeSet<PathBuf>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a scratch file or folder for removal by [`Registry::remove_all`].
    pub fn register(&'static self, path: &Path) -> Registered {
        self.paths().insert(path.to_path_buf());
        Registered {
            path: path.to_path_buf(),
            registry: self,
        }
    }

    /// Removes every registered file and folder; what is already gone is skipped. Returns
    /// how many were removed.
    pub fn remove_all(&self) -> usize {
        let paths = std::mem::take(&mut *self.paths());
        paths
            .iter()
            .filter(|p| {
                if p.is_dir() {
                    std::fs::remove_dir_all(p).is_ok()
                } else {
                    std::fs::remove_file(p).is_ok()
                }
            })
            .count()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.paths().remove(&self.path);
    }
}

/// Registers a scratch file or folder for removal on interrupt.
pub fn register(path: &Path) -> Registered {
    LIVE.register(path)
}

/// Removes every file and folder the program registered; called by the signal handler.
pub fn remove_all() -> usize {
    LIVE.remove_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A registry of its own: clearing the program's one would delete the `.part` files of
    // encode tests running beside this one.
    static TEST: Registry = Registry::new();

    #[test]
    fn registered_scratch_is_removed_on_interrupt_and_forgotten_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("a.mp4.part");
        let downloads = dir.path().join("downloads");
        std::fs::write(&part, b"x").unwrap();
        std::fs::create_dir(&downloads).unwrap();
        std::fs::write(downloads.join("song.mp3"), b"x").unwrap();
        let kept = dir.path().join("kept.mp4");
        std::fs::write(&kept, b"x").unwrap();

        let _part = TEST.register(&part);
        let _downloads = TEST.register(&downloads);
        drop(TEST.register(&kept));
        assert_eq!(TEST.remove_all(), 2);
        assert!(!part.exists() && !downloads.exists());
        assert!(kept.exists(), "a dropped registration is not removed");
    }
}
