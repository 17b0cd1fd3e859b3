//! Where finished videos are published and served from (`--storage`): a folder, which nodes on
//! several machines share as a mount, or S3-compatible object storage (`s3://bucket/prefix`)
//! through the `object_store` crate. API nodes serve a folder under /files/ themselves and
//! redirect /files/ to a presigned URL for S3.

use std::path::{Path, PathBuf};
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::signer::Signer;
use object_store::{ObjectStore, PutPayload};

/// How long a presigned /files/ redirect stays valid.
pub const SIGNED_URL_LIFETIME: Duration = Duration::from_secs(3600);

/// `--storage` as given: a folder, or an S3 bucket and key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageLocation {
    Folder(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl StorageLocation {
    /// `s3://bucket/prefix` is object storage; anything else is a folder.
    pub fn parse(s: &str) -> Result<StorageLocation, StorageError> {
        let Some(rest) = s.strip_prefix("s3://") else {
            return Ok(StorageLocation::Folder(s.into()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::BadLocation(s.to_string()));
        }
        Ok(StorageLocation::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }
}

impl std::fmt::Display for StorageLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageLocation::Folder(path) => write!(f, "{}", path.display()),
            StorageLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage {0:?} is not a folder or an s3://bucket/prefix URL")]
    BadLocation(String),
    #[error("storage {location}: {source}")]
    Io {
        location: String,
        #[source]
        source: std::io::Error,
    },
    #[error("storage {location}: {source}")]
    Object {
        location: String,
        /// Boxed: object_store's error is large, and this one travels in others.
        #[source]
        source: Box<object_store::Error>,
    },
}

impl StorageError {
    /// The file system's error, when it was one (a full disk, say).
    pub fn io(&self) -> Option<&std::io::Error> {
        match self {
            StorageError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Where a run's files were published, as `/files/…` paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRun {
    pub video_url: String,
    pub lyrics_url: String,
}

/// The published videos' home, open.
#[derive(Debug)]
pub struct Storage {
    location: StorageLocation,
    s3: Option<AmazonS3>,
}

impl Storage {
    /// Opens `location`: creates the folder, or sets up the S3 client from `s3_settings`
    /// (`AWS_*` names and values: endpoint, region, credentials, `AWS_ALLOW_HTTP`), which the
    /// binary reads from its environment.
    pub fn open(
        location: &StorageLocation,
        s3_settings: &[(String, String)],
    ) -> Result<Storage, StorageError> {
        let shown = location.to_string();
        let s3 = match location {
            StorageLocation::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
                    location: shown,
                    source,
                })?;
                None
            }
            StorageLocation::S3 { bucket, .. } => {
                let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
                // Names the S3 client does not know (AWS_PROFILE, say) are for other tools.
                for (name, value) in s3_settings {
                    if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                        builder = builder.with_config(key, value);
                    }
                }
                Some(builder.build().map_err(|source| StorageError::Object {
                    location: shown,
                    source: Box::new(source),
                })?)
            }
        };
        Ok(Storage {
            location: location.clone(),
            s3,
        })
    }

    pub fn location(&self) -> &StorageLocation {
        &self.location
    }

    /// "folder" or "s3", as /health says.
    pub fn kind(&self) -> &'static str {
        match self.location {
            StorageLocation::Folder(_) => "folder",
            StorageLocation::S3 { .. } => "s3",
        }
    }

    /// The folder /files/ serves, when storage is one.
    pub fn folder(&self) -> Option<&Path> {
        match &self.location {
            StorageLocation::Folder(dir) => Some(dir),
            StorageLocation::S3 { .. } => None,
        }
    }

    fn key(&self, name: &str) -> object_store::path::Path {
        match &self.location {
            StorageLocation::S3 { prefix, .. } if !prefix.is_empty() => {
                object_store::path::Path::from(format!("{prefix}/{name}"))
            }
            _ => object_store::path::Path::from(name),
        }
    }

    fn io(&self, source: std::io::Error) -> StorageError {
        StorageError::Io {
            location: self.location.to_string(),
            source,
        }
    }

    fn object(&self, source: object_store::Error) -> StorageError {
        StorageError::Object {
            location: self.location.to_string(),
            source: Box::new(source),
        }
    }

    /// Publishes the finished file `from` as `name`, whole or not at all: readers never see
    /// part of a video.
    pub async fn publish(&self, from: &Path, name: &str) -> Result<(), StorageError> {
        match (&self.location, &self.s3) {
            (StorageLocation::S3 { .. }, Some(s3)) => {
                let bytes = tokio::fs::read(from).await.map_err(|e| self.io(e))?;
                s3.put(&self.key(name), PutPayload::from(bytes))
                    .await
                    .map_err(|e| self.object(e))?;
                Ok(())
            }
            (_, _) => {
                let dir = self.folder().unwrap_or(Path::new("."));
                let to = dir.join(name);
                match tokio::fs::rename(from, &to).await {
                    Ok(()) => Ok(()),
                    // A shared mount is another file system: copy beside, then rename there.
                    Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                        let part = dir.join(format!(".{name}.part"));
                        let copied = async {
                            tokio::fs::copy(from, &part).await?;
                            tokio::fs::rename(&part, &to).await
                        };
                        if let Err(e) = copied.await {
                            let _ = tokio::fs::remove_file(&part).await;
                            return Err(self.io(e));
                        }
                        Ok(())
                    }
                    Err(e) => Err(self.io(e)),
                }
            }
        }
    }

    /// Publishes a finished run's lyrics, then its video, so that a published video always has
    /// its lyrics beside it; on failure nothing of the run stays published. Answers the files'
    /// URLs relative to whichever API node serves them.
    pub async fn publish_run(
        &self,
        work_dir: &Path,
        run_id: &str,
    ) -> Result<PublishedRun, StorageError> {
        let lyrics = format!("{run_id}.vtt");
        let video = format!("{run_id}.mp4");
        for name in [&lyrics, &video] {
            if let Err(e) = self.publish(&work_dir.join(name), name).await {
                self.remove(&lyrics).await;
                return Err(e);
            }
        }
        Ok(PublishedRun {
            video_url: format!("{}{video}", super::files::PREFIX),
            lyrics_url: format!("{}{lyrics}", super::files::PREFIX),
        })
    }

    /// Removes a published file (what a failed publish left half done); a missing one is fine.
    pub async fn remove(&self, name: &str) {
        match (&self.s3, self.folder()) {
            (Some(s3), _) => {
                let _ = s3.delete(&self.key(name)).await;
            }
            (None, Some(dir)) => {
                let _ = tokio::fs::remove_file(dir.join(name)).await;
            }
            (None, None) => {}
        }
    }

    /// A published file's bytes.
    pub async fn read(&self, name: &str) -> Result<Vec<u8>, StorageError> {
        match (&self.s3, self.folder()) {
            (Some(s3), _) => {
                let got = s3.get(&self.key(name)).await.map_err(|e| self.object(e))?;
                Ok(got.bytes().await.map_err(|e| self.object(e))?.to_vec())
            }
            (None, dir) => tokio::fs::read(dir.unwrap_or(Path::new(".")).join(name))
                .await
                .map_err(|e| self.io(e)),
        }
    }

    /// A time-limited URL that fetches `name` straight from object storage; None for a folder.
    pub async fn signed_url(&self, name: &str) -> Result<Option<String>, StorageError> {
        let Some(s3) = &self.s3 else {
            return Ok(None);
        };
        let url = s3
            .signed_url(reqwest::Method::GET, &self.key(name), SIGNED_URL_LIFETIME)
            .await
            .map_err(|e| self.object(e))?;
        Ok(Some(url.to_string()))
    }

    /// Whether files can be written there now (a mount that went away, a bucket that cannot
    /// be reached, cannot).
    pub async fn check(&self) -> Result<(), StorageError> {
        match (&self.s3, self.folder()) {
            (Some(s3), _) => {
                let key = self.key(".reelforge-health");
                s3.put(&key, PutPayload::from_static(b"ok"))
                    .await
                    .map_err(|e| self.object(e))?;
                Ok(())
            }
            (None, dir) => {
                let dir = dir.unwrap_or(Path::new(".")).to_path_buf();
                tokio::task::spawn_blocking(move || super::disk::writable(&dir))
                    .await
                    .map_err(|e| self.io(std::io::Error::other(e)))?
                    .map_err(|e| self.io(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_a_bucket_and_prefix_and_anything_else_is_a_folder() {
        assert_eq!(
            StorageLocation::parse("s3://videos/reelforge/out/").unwrap(),
            StorageLocation::S3 {
                bucket: "videos".into(),
                prefix: "reelforge/out".into()
            }
        );
        assert_eq!(
            StorageLocation::parse("s3://videos").unwrap(),
            StorageLocation::S3 {
                bucket: "videos".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            StorageLocation::parse("/mnt/videos").unwrap(),
            StorageLocation::Folder("/mnt/videos".into())
        );
        assert!(StorageLocation::parse("s3:///prefix").is_err());
    }

    #[tokio::test]
    async fn a_folder_publishes_whole_files_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let storage =
            Storage::open(&StorageLocation::Folder(dir.path().join("store")), &[]).unwrap();
        let from = dir.path().join("run_a.mp4");
        std::fs::write(&from, b"video").unwrap();
        storage.publish(&from, "run_a.mp4").await.unwrap();
        assert!(!from.exists());
        assert_eq!(storage.read("run_a.mp4").await.unwrap(), b"video");
        assert!(storage.signed_url("run_a.mp4").await.unwrap().is_none());
        storage.check().await.unwrap();
        storage.remove("run_a.mp4").await;
        assert!(storage.read("run_a.mp4").await.is_err());
    }

    #[tokio::test]
    async fn a_run_without_its_video_leaves_nothing_published() {
        let dir = tempfile::tempdir().unwrap();
        let storage =
            Storage::open(&StorageLocation::Folder(dir.path().join("store")), &[]).unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("run_a.vtt"), b"WEBVTT").unwrap();
        assert!(storage.publish_run(&work, "run_a").await.is_err());
        assert!(
            storage.read("run_a.vtt").await.is_err(),
            "lyrics left behind"
        );

        std::fs::write(work.join("run_b.vtt"), b"WEBVTT").unwrap();
        std::fs::write(work.join("run_b.mp4"), b"video").unwrap();
        let published = storage.publish_run(&work, "run_b").await.unwrap();
        assert_eq!(published.video_url, "/files/run_b.mp4");
        assert_eq!(published.lyrics_url, "/files/run_b.vtt");
        assert_eq!(storage.read("run_b.mp4").await.unwrap(), b"video");
    }
}
