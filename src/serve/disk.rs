//! Free space in the data folder. Renders write videos of several megabytes each and the run
//! store must be able to commit, so the server stops taking batches before the disk is full
//! and says so (503), instead of failing midway with a 500.

use std::path::Path;

/// Whether files can be written in `dir` (a shared mount that went away cannot).
pub fn writable(dir: &Path) -> std::io::Result<()> {
    tempfile::Builder::new()
        .prefix(".reelforge-health")
        .tempfile_in(dir)
        .map(drop)
}

/// Free space where the server writes, against the reserve it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes an unprivileged process may still write.
    pub free_bytes: u64,
    /// Below this the server takes no new batches.
    pub min_free_bytes: u64,
}

impl DiskSpace {
    /// Measures the file system holding `dir`.
    pub fn of(dir: &Path, min_free_bytes: u64) -> std::io::Result<DiskSpace> {
        let stat = rustix::fs::statvfs(dir)?;
        Ok(DiskSpace {
            free_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
            min_free_bytes,
        })
    }

    pub fn is_low(&self) -> bool {
        self.free_bytes < self.min_free_bytes
    }

    /// What callers are told: sizes, not paths.
    pub fn message(&self) -> String {
        format!(
            "The server is low on disk space ({} MB free, {} MB needed); try again later",
            self.free_bytes / 1_000_000,
            self.min_free_bytes.div_ceil(1_000_000)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_measured_and_compared_with_the_reserve() {
        let dir = tempfile::tempdir().unwrap();
        let roomy = DiskSpace::of(dir.path(), 1).unwrap();
        assert!(roomy.free_bytes > 0 && !roomy.is_low());
        let low = DiskSpace::of(dir.path(), u64::MAX).unwrap();
        assert!(low.is_low());
        assert!(low.message().contains("MB free"), "{}", low.message());
        assert!(!low.message().contains(&*dir.path().to_string_lossy()));
    }
}
