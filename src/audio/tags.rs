//! A song's own title from its tags: ID3 (MP3), Vorbis comments (Ogg, FLAC) or MP4 metadata,
//! read by Symphonia's probe without decoding any audio.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, StandardTag};

/// Longest title kept; longer ones are cut at a character boundary.
const MAX_TITLE_CHARS: usize = 200;

/// The track title tagged in `bytes` (a whole song file), or `None` when it has none, it is
/// blank, or the file cannot be probed (decoding reports that, with its own error).
pub fn title(bytes: &[u8], extension: Option<&str>) -> Option<String> {
    let owned = bytes.to_vec();
    // Like decoding, probing must never take the process down on hostile input.
    panic::catch_unwind(AssertUnwindSafe(|| {
        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext.trim_start_matches('.'));
        }
        let mss = MediaSourceStream::new(
            Box::new(Cursor::new(owned)),
            MediaSourceStreamOptions::default(),
        );
        let mut format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .ok()?;
        let mut metadata = format.metadata();
        let mut found = None;
        // Every revision, oldest first; a later title (a stream's own) wins.
        loop {
            if let Some(rev) = metadata.current() {
                let tags = rev
                    .media
                    .tags
                    .iter()
                    .chain(rev.per_track.iter().flat_map(|t| t.metadata.tags.iter()));
                for tag in tags {
                    if let Some(StandardTag::TrackTitle(t)) = &tag.std {
                        found = clean(t).or(found);
                    }
                }
            }
            if metadata.pop().is_none() {
                break;
            }
        }
        found
    }))
    .ok()
    .flatten()
}

/// The title on one line, trimmed and bounded; `None` when nothing is left.
fn clean(raw: &str) -> Option<String> {
    let one_line = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>();
    let words = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = words.chars().take(MAX_TITLE_CHARS).collect();
    (!cut.is_empty()).then_some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned_to_one_bounded_line() {
        assert_eq!(clean("  Blue\tHour\n"), Some("Blue Hour".into()));
        assert_eq!(clean(" \u{0} "), None);
        assert_eq!(clean(&"a".repeat(500)).unwrap().len(), MAX_TITLE_CHARS);
    }

    #[test]
    fn untagged_or_unreadable_bytes_have_no_title() {
        assert_eq!(title(b"not audio at all", Some("mp3")), None);
        assert_eq!(title(&[], None), None);
    }
}
