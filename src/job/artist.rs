//! The artist repo: `<root>/<slug>/artist.json`, the face guide, songs and context files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Audio file extensions a song may have.
pub const SONG_EXTENSIONS: &[&str] = &["mp3", "wav", "flac", "ogg", "oga", "m4a", "aac", "mp4"];

#[derive(Debug, thiserror::Error)]
pub enum ArtistError {
    #[error("Artist not found: no artist.json under {root} has account_id {account_id}")]
    NotFound { root: String, account_id: String },
    #[error("the artists root {0} is not a readable folder")]
    BadRoot(String),
    #[error("{path}: {message}")]
    BadArtistFile { path: String, message: String },
    #[error("face-guide.png not found for artist {0}")]
    NoFaceGuide(String),
    #[error("None of the specified songs [{}] were found for artist {slug}", songs.join(", "))]
    SongsNotFound { slug: String, songs: Vec<String> },
    #[error("artist {0} has no songs (songs/<slug>/<slug>.<ext> or songs/<slug>.<ext>)")]
    NoSongs(String),
}

#[derive(Debug, Deserialize)]
struct ArtistFile {
    account_id: String,
    name: String,
    /// Other accounts that may make videos for this artist: a manager's, a label's.
    #[serde(default)]
    members: Vec<String>,
}

/// A song in the repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SongFile {
    pub slug: String,
    pub path: PathBuf,
}

/// One artist's folder, read.
#[derive(Debug, Clone)]
pub struct Artist {
    pub slug: String,
    pub name: String,
    pub account_id: String,
    /// Accounts besides the artist's own that may act for the artist (lower case).
    pub members: Vec<String>,
    pub dir: PathBuf,
}

impl Artist {
    /// Finds the artist whose artist.json carries `account_id` (compared case-insensitively).
    /// A broken artist.json of another artist does not stand in the way; it is reported only
    /// when no artist matches.
    pub fn find(root: &Path, account_id: &str) -> Result<Artist, ArtistError> {
        let entries = std::fs::read_dir(root)
            .map_err(|_| ArtistError::BadRoot(root.display().to_string()))?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        let mut broken = None;
        for dir in dirs {
            let file = dir.join("artist.json");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let parsed: ArtistFile = match serde_json::from_str(&text) {
                Ok(p) => p,
                Err(e) => {
                    broken.get_or_insert(ArtistError::BadArtistFile {
                        path: file.display().to_string(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            if let Some(bad) = parsed
                .members
                .iter()
                .find(|m| uuid::Uuid::parse_str(m).is_err())
            {
                broken.get_or_insert(ArtistError::BadArtistFile {
                    path: file.display().to_string(),
                    message: format!("members: {bad:?} is not an account UUID"),
                });
                continue;
            }
            if parsed.account_id.eq_ignore_ascii_case(account_id) {
                return Ok(Artist {
                    slug: dir
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    name: parsed.name,
                    account_id: parsed.account_id.to_ascii_lowercase(),
                    members: parsed
                        .members
                        .iter()
                        .map(|m| m.to_ascii_lowercase())
                        .collect(),
                    dir,
                });
            }
        }
        Err(broken.unwrap_or_else(|| ArtistError::NotFound {
            root: root.display().to_string(),
            account_id: account_id.to_string(),
        }))
    }

    /// Whether `account` may make videos for this artist: the artist's own account, or one
    /// that artist.json lists under `members`.
    pub fn allows(&self, account: &str) -> bool {
        let account = account.to_ascii_lowercase();
        self.account_id == account || self.members.contains(&account)
    }

    /// `context/images/face-guide.png`, when present.
    pub fn face_guide(&self) -> Result<PathBuf, ArtistError> {
        let p = self.dir.join("context/images/face-guide.png");
        if p.is_file() {
            Ok(p)
        } else {
            Err(ArtistError::NoFaceGuide(self.slug.clone()))
        }
    }

    /// A context markdown file (`artist.md`, `audience.md`), when present.
    /// The artist's own scenes, `context/images/scenes/*.{png,jpg,jpeg,webp}`, sorted by name.
    pub fn scenes(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("context/images/scenes")) else {
            return Vec::new();
        };
        let mut scenes: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["png", "jpg", "jpeg", "webp"].contains(&e.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        scenes.sort();
        scenes
    }

    pub fn context(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join("context").join(name)).ok()
    }

    /// Every song: `songs/<slug>/<slug>.<ext>` or `songs/<slug>.<ext>`, sorted by slug.
    pub fn songs(&self) -> Vec<SongFile> {
        let dir = self.dir.join("songs");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut songs = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let slug = entry.file_name().to_string_lossy().into_owned();
                if let Some(file) = audio_named(&path, &slug) {
                    songs.push(SongFile { slug, path: file });
                }
            } else if is_audio(&path) {
                let slug = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                songs.push(SongFile { slug, path });
            }
        }
        songs.sort_by(|a, b| a.slug.cmp(&b.slug));
        songs.dedup_by(|a, b| a.slug.eq_ignore_ascii_case(&b.slug));
        songs
    }

    /// The songs named by `slugs` (case-insensitive), or all of them when `slugs` is empty.
    /// Unknown slugs are skipped; none found at all is an error naming them.
    pub fn pick_songs(&self, slugs: &[String]) -> Result<Vec<SongFile>, ArtistError> {
        let all = self.songs();
        if slugs.is_empty() {
            return if all.is_empty() {
                Err(ArtistError::NoSongs(self.slug.clone()))
            } else {
                Ok(all)
            };
        }
        let found: Vec<SongFile> = slugs
            .iter()
            .filter_map(|s| all.iter().find(|f| f.slug.eq_ignore_ascii_case(s)).cloned())
            .collect();
        if found.is_empty() {
            return Err(ArtistError::SongsNotFound {
                slug: self.slug.clone(),
                songs: slugs.to_vec(),
            });
        }
        Ok(found)
    }
}

fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SONG_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `<dir>/<slug>.<ext>` for an audio extension, matching the stem case-insensitively.
fn audio_named(dir: &Path, slug: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            is_audio(p)
                && p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().eq_ignore_ascii_case(slug))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13";

    fn repo() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let a = root.path().join("lumen");
        std::fs::create_dir_all(a.join("songs/Blue-Hour")).unwrap();
        std::fs::create_dir_all(a.join("context/images")).unwrap();
        std::fs::write(
            a.join("artist.json"),
            format!(r#"{{"account_id":"{ID}","name":"Lumen"}}"#),
        )
        .unwrap();
        std::fs::write(a.join("songs/Blue-Hour/blue-hour.flac"), b"x").unwrap();
        std::fs::write(a.join("songs/hiccups.mp3"), b"x").unwrap();
        std::fs::write(a.join("songs/notes.txt"), b"x").unwrap();
        root
    }

    #[test]
    fn only_the_artists_own_account_and_its_members_may_act_for_it() {
        let root = repo();
        let manager = "0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
        std::fs::write(
            root.path().join("lumen/artist.json"),
            format!(
                r#"{{"account_id":"{ID}","name":"Lumen","members":["{}"]}}"#,
                manager.to_uppercase()
            ),
        )
        .unwrap();
        let a = Artist::find(root.path(), ID).unwrap();
        assert!(a.allows(ID) && a.allows(&ID.to_uppercase()));
        assert!(a.allows(manager));
        assert!(!a.allows("9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"));
    }

    #[test]
    fn a_member_that_is_not_an_account_id_is_a_broken_artist_file() {
        let root = repo();
        std::fs::write(
            root.path().join("lumen/artist.json"),
            format!(r#"{{"account_id":"{ID}","name":"Lumen","members":["the label"]}}"#),
        )
        .unwrap();
        let e = Artist::find(root.path(), ID).unwrap_err().to_string();
        assert!(e.contains("members") && e.contains("the label"), "{e}");
    }

    #[test]
    fn an_artist_is_found_by_account_id_in_any_case() {
        let root = repo();
        let a = Artist::find(root.path(), &ID.to_uppercase()).unwrap();
        assert_eq!(a.slug, "lumen");
        assert_eq!(a.name, "Lumen");
    }

    #[test]
    fn a_broken_artist_file_of_another_artist_does_not_hide_the_right_one() {
        let root = repo();
        // Sorts before "lumen".
        let broken = root.path().join("aaa");
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("artist.json"), b"{ nope").unwrap();
        assert_eq!(Artist::find(root.path(), ID).unwrap().slug, "lumen");
        let other = "11111111-2222-4333-8444-555555555555";
        let e = Artist::find(root.path(), other).unwrap_err();
        assert!(matches!(e, ArtistError::BadArtistFile { .. }), "{e}");
    }

    #[test]
    fn an_unknown_artist_is_not_found() {
        let root = repo();
        let err = Artist::find(root.path(), "00000000-0000-0000-0000-000000000000").unwrap_err();
        assert!(matches!(err, ArtistError::NotFound { .. }));
    }

    #[test]
    fn songs_are_found_in_both_layouts_and_by_slug_in_any_case() {
        let root = repo();
        let a = Artist::find(root.path(), ID).unwrap();
        let slugs: Vec<_> = a.songs().into_iter().map(|s| s.slug).collect();
        assert_eq!(slugs, vec!["Blue-Hour", "hiccups"]);
        let picked = a
            .pick_songs(&["BLUE-hour".into(), "missing".into()])
            .unwrap();
        assert_eq!(picked.len(), 1);
    }

    #[test]
    fn no_matching_song_is_the_hosted_message() {
        let root = repo();
        let a = Artist::find(root.path(), ID).unwrap();
        let err = a.pick_songs(&["a".into(), "b".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "None of the specified songs [a, b] were found for artist lumen"
        );
    }

    #[test]
    fn a_missing_face_guide_is_the_hosted_message() {
        let root = repo();
        let a = Artist::find(root.path(), ID).unwrap();
        assert_eq!(
            a.face_guide().unwrap_err().to_string(),
            "face-guide.png not found for artist lumen"
        );
    }
}
