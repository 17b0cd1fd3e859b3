//! Known lyrics: finding an artist's lyrics.txt and aligning it to what Whisper heard.

mod align;
pub(crate) mod vtt;

use std::io;
use std::path::{Path, PathBuf};

pub use align::{align, align_detailed, retime, Alignment, AlignmentReport, LyricWordSource};

/// The lyrics file for a song laid out as `songs/<slug>/<slug>.<ext>`: `songs/<slug>/lyrics.txt`.
/// Songs stored flat (`songs/<slug>.<ext>`) have none.
pub fn lyrics_file_for(song: &Path) -> Option<PathBuf> {
    let dir = song.parent()?;
    let stem = song.file_stem()?.to_string_lossy().to_lowercase();
    let folder = dir.file_name()?.to_string_lossy().to_lowercase();
    let candidate = dir.join("lyrics.txt");
    (folder == stem && candidate.is_file()).then_some(candidate)
}

/// Largest lyrics file read; real lyrics are a few KiB.
const MAX_LYRICS_BYTES: u64 = 1024 * 1024;

/// Reads a lyrics file: any encoding that is mostly UTF-8 is accepted (stray bytes become U+FFFD
/// rather than failing the song), and a byte-order mark is dropped.
pub fn read_lyrics(path: &Path) -> io::Result<String> {
    let bytes = crate::local_file::read_regular(path, MAX_LYRICS_BYTES)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lyrics_files_are_found_beside_foldered_songs_only() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("songs/Blue-Hour");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("lyrics.txt"), b"\xef\xbb\xbfla la\n\xe9t\xe9\n").unwrap();
        let song = folder.join("blue-hour.flac");
        let found = lyrics_file_for(&song).unwrap();
        assert_eq!(read_lyrics(&found).unwrap(), "la la\n\u{fffd}t\u{fffd}\n");
        assert_eq!(lyrics_file_for(&folder.join("other.flac")), None);
        assert_eq!(
            lyrics_file_for(&dir.path().join("songs/blue-hour.flac")),
            None
        );
    }
}
