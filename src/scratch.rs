//! Scratch files and folders that must not outlive an interrupted process.
//!
//! A `.part` video being encoded and a batch's download folder are temporary: dropped, they
//! remove themselves. A signal ends the process without running destructors, so each one is
//! also registered here while it exists, and the program's signal handler calls
//! [`remove_all`] before it exits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Keeps `path` registered until dropped. Dropping does not delete anything: the owner
/// (a `tempfile` handle) does that, or keeps the file by moving it into place.
#[derive(Debug)]
pub struct Registered(PathBuf);

/// Registers a scratch file or folder for removal on interrupt.
pub fn register(path: &Path) -> Registered {
    LIVE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf());
    Registered(path.to_path_buf())
}

impl Drop for Registered {
    fn drop(&mut self) {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}

/// Removes every registered file and folder; what is already gone is skipped. Returns how
/// many were removed.
pub fn remove_all() -> usize {
    let paths: Vec<PathBuf> = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()))
        .into_iter()
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

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

        let _part = register(&part);
        let _downloads = register(&downloads);
        drop(register(&kept));
        assert!(remove_all() >= 2);
        assert!(!part.exists() && !downloads.exists());
        assert!(kept.exists(), "a dropped registration is not removed");
    }
}
