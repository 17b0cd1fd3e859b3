//! Known lyrics: finding an artist's lyrics.txt and aligning it to what Whisper heard.

mod align;

use std::path::{Path, PathBuf};

pub use align::{align, align_detailed, Alignment, AlignmentReport, LyricWordSource};

/// The lyrics file for a song laid out as `songs/<slug>/<slug>.<ext>`: `songs/<slug>/lyrics.txt`.
/// Songs stored flat (`songs/<slug>.<ext>`) have none.
pub fn lyrics_file_for(song: &Path) -> Option<PathBuf> {
    let dir = song.parent()?;
    let stem = song.file_stem()?.to_string_lossy().to_lowercase();
    let folder = dir.file_name()?.to_string_lossy().to_lowercase();
    let candidate = dir.join("lyrics.txt");
    (folder == stem && candidate.is_file()).then_some(candidate)
}
