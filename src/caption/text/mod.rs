//! Writing the caption text.
//!
//! Captions are composed locally from the clip's lyric lines, short phrases mined from the
//! artist's and audience's notes (themes such as "summer nights", moments such as "late at
//! night in your room"), the template's caption formats and the sentence frames of the
//! template's voice. The frames and word lists are data (`assets/captions/`, see [`data`]),
//! checked when loaded; this module is the engine:
//!
//! - [`clean`]: quotes, emoji, spacing, case;
//! - [`lyric`]: the clip's lyric lines, whole, in sentence case, ranked;
//! - [`mine`]: themes and moments from the notes;
//! - [`material`]: what one caption is written from, and the slots that fill frames;
//! - [`compose`]: assembling short, medium and long captions;
//! - [`grammar`]: the verb rule every sentence keeps.
//!
//! A seeded ChaCha8 generator makes every choice, so the same seed always writes the same
//! caption. The themes and moments are dealt across a batch ([`PhraseDeal`]) so that no video
//! of a batch uses one another video uses.

mod clean;
mod compose;
mod data;
mod grammar;
mod lyric;
mod material;
mod mine;

#[cfg(test)]
mod check;
#[cfg(test)]
mod tests;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::CaptionLength;
use crate::template::CaptionGuide;

pub use clean::clean_text;
pub use data::CaptionDataError;

/// Everything a caption is written from.
#[derive(Debug, Clone, Copy)]
pub struct CaptionContext<'a> {
    /// The lyric lines sung in the clip, one per line; empty for an instrumental.
    pub clip_lyrics: &'a str,
    pub artist_name: &'a str,
    /// `context/artist.md`, when the artist has one.
    pub artist_md: Option<&'a str>,
    /// `context/audience.md`, when the artist has one.
    pub audience_md: Option<&'a str>,
    pub guide: &'a CaptionGuide,
    /// The run's mood, an adjective such as "warm" or "dreamy" (only template formats that
    /// ask for `{mood}` use it).
    pub mood: &'a str,
}

/// A caption's share of its batch's themes and moments. The phrases mined from the notes are
/// shuffled by `seed`, the same for every video of a batch, and the video in `slot` (its index
/// in the batch) takes the next few after those of the slots before it. So no two videos of a
/// batch use the same phrase, each caption is written without knowing the others, and adding
/// videos to a batch changes none of the earlier captions. Once a batch has used every phrase,
/// its later captions use frames without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PhraseDeal {
    pub seed: u64,
    pub slot: usize,
}

/// Loads and checks the embedded caption data (`assets/captions/`), for a check at start-up;
/// captions load it on first use and a broken file would otherwise only show then.
pub fn check_data() -> Result<(), CaptionDataError> {
    data::load(&data::embedded()).map(|_| ())
}

/// Writes a caption of the given length. Deterministic for a given seed and deal.
pub fn write_caption(
    ctx: &CaptionContext,
    length: CaptionLength,
    seed: u64,
    deal: PhraseDeal,
) -> String {
    if length == CaptionLength::None {
        return String::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let material = material::Material::gather(ctx, length, deal, &mut rng);
    let text = match length {
        CaptionLength::None => String::new(),
        CaptionLength::Short => compose::write_short(&material, &mut rng),
        CaptionLength::Medium => compose::write_medium(&material, &mut rng),
        CaptionLength::Long => compose::write_long(&material, &mut rng),
    };
    material.finish(&text)
}
