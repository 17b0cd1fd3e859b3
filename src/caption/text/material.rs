//! Everything a caption is written from, cleaned and ready to drop into frames, and the slots
//! that fill a frame's `{placeholders}` from it.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::clean::{clean_text, sentence_safe, tidy_spacing};
use super::data::{data, placeholders, reads_as_sentence};
use super::grammar::{has_verb, norm_words};
use super::lyric::{lyric_lines, pick_order};
use super::mine::phrases;
use super::{CaptionContext, PhraseDeal};
use crate::caption::{CaptionLength, Voice};

/// How many themes and moments one caption of a length is dealt.
fn quota(length: CaptionLength) -> (usize, usize) {
    match length {
        CaptionLength::Long => (2, 1),
        _ => (1, 1),
    }
}

/// The longest lyric line (in words) a caption of a length quotes: longer lines are not quoted.
fn lyric_budget(length: CaptionLength) -> usize {
    match length {
        CaptionLength::Short => 10,
        CaptionLength::Medium => 16,
        _ => 20,
    }
}

/// Deals a caption its share of the batch's phrases: the list is shuffled by the batch's seed
/// (the same order for every video), and the video in slot `s` takes positions
/// `s * n .. s * n + n`. Slots past the end get none, so no phrase is used twice in a batch.
fn deal(list: &[String], seed: u64, stream: u64, slot: usize, n: usize) -> Vec<String> {
    let mut order = list.to_vec();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    order.shuffle(&mut rng);
    order
        .into_iter()
        .skip(slot.saturating_mul(n))
        .take(n)
        .collect()
}

pub(super) struct Material {
    /// Lyric lines that fit the length, hook first; each a whole line or a whole sentence of
    /// one, ready to sit inside a sentence.
    pub lyrics: Vec<String>,
    /// The same lines as normalised words, for the grammar check.
    pub quotes: Vec<Vec<String>>,
    /// This caption's share of the batch's themes and moments.
    pub themes: Vec<String>,
    pub moments: Vec<String>,
    pub artist: Option<String>,
    pub mood: String,
    pub voice: Voice,
    pub lowercase: bool,
    /// The caption's place in its batch's deal.
    pub deal: PhraseDeal,
    /// The guide's formats and examples, each made one sentence.
    pub formats: Vec<String>,
    /// Examples that read as sentences (with a verb).
    pub examples: Vec<String>,
}

impl Material {
    pub(super) fn gather(
        ctx: &CaptionContext,
        length: CaptionLength,
        deal_of: PhraseDeal,
        rng: &mut ChaCha8Rng,
    ) -> Material {
        let d = data();
        let budget = lyric_budget(length);
        let fitting: Vec<String> = lyric_lines(ctx.clip_lyrics, &d.words.filler)
            .into_iter()
            .filter(|l| l.split_whitespace().count() <= budget)
            .collect();
        let lyrics: Vec<String> = pick_order(&fitting, rng)
            .iter()
            .map(|l| super::clean::inline(l))
            .collect();
        let quotes = lyrics.iter().map(|l| norm_words(l)).collect();

        let (themes, moments) = phrases(ctx.artist_md, ctx.audience_md);
        let (nt, nm) = quota(length);
        let themes = deal(&themes, deal_of.seed, 1, deal_of.slot, nt);
        let moments = deal(&moments, deal_of.seed, 2, deal_of.slot, nm);

        let artist = Some(clean_text(ctx.artist_name))
            .map(|a| a.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
            .filter(|a| !a.is_empty());
        let mood = sentence_safe(&clean_text(ctx.mood)).to_lowercase();
        let mood = mood
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        let mood = if mood.is_empty() {
            "quiet".to_string()
        } else {
            mood
        };

        let guide_text = format!("{} {}", ctx.guide.tone, ctx.guide.rules.join(" ")).to_lowercase();
        let lowercase = guide_text.contains("lowercase")
            && ![
                "no lowercase",
                "not lowercase",
                "never lowercase",
                "never all lowercase",
            ]
            .iter()
            .any(|n| guide_text.contains(n));

        let single_sentence = |s: &String| sentence_safe(&clean_text(s));
        Material {
            lyrics,
            quotes,
            themes,
            moments,
            artist,
            mood,
            voice: ctx.guide.voice,
            lowercase,
            deal: deal_of,
            formats: ctx
                .guide
                .formats
                .iter()
                .filter_map(|f| canonical_pattern(&single_sentence(f)))
                .filter(|f| !f.is_empty() && reads_as_sentence(f, &d.verbs))
                .collect(),
            examples: ctx
                .guide
                .examples
                .iter()
                .map(single_sentence)
                .filter(|f| {
                    !f.is_empty() && !f.contains(['{', '}']) && has_verb(&norm_words(f), &d.verbs)
                })
                .collect(),
        }
    }

    pub(super) fn slots(&self) -> Slots<'_> {
        Slots {
            m: self,
            next_theme: 0,
            next_moment: 0,
            artist_left: usize::MAX,
        }
    }

    /// Slots that name the artist at most `n` times (a caption that repeats the name reads
    /// like an advert).
    pub(super) fn slots_naming_artist(&self, n: usize) -> Slots<'_> {
        Slots {
            artist_left: n,
            ..self.slots()
        }
    }

    /// Final pass: cleaning, articles, case.
    pub(super) fn finish(&self, text: &str) -> String {
        let text = super::clean::fix_articles(&clean_text(text));
        if self.lowercase {
            text.to_lowercase()
        } else {
            text
        }
    }
}

/// Fills `{placeholder}`s. Themes and moments are handed out in turn from the caption's share,
/// so a caption never repeats one; a frame that needs more than is left is not used.
#[derive(Clone)]
pub(super) struct Slots<'m> {
    m: &'m Material,
    next_theme: usize,
    next_moment: usize,
    artist_left: usize,
}

impl<'m> Slots<'m> {
    pub(super) fn material(&self) -> &'m Material {
        self.m
    }

    /// None when the pattern needs something the material lacks, or names an unknown slot.
    /// An unusable pattern consumes nothing.
    pub(super) fn fill(&mut self, pattern: &str) -> Option<String> {
        let names = placeholders(pattern).ok()?;
        let count = |slot: &str| names.iter().filter(|n| canonical(n) == Some(slot)).count();
        let lyric_ok = count("lyric") == 0 || !self.m.lyrics.is_empty();
        let line_ok = count("line") == 0 || self.m.lyrics.len() >= 2;
        let artist_ok = count("artist") == 0
            || (self.m.artist.is_some() && count("artist") <= self.artist_left);
        let themes_ok = self.next_theme + count("theme") <= self.m.themes.len();
        let moments_ok = self.next_moment + count("moment") <= self.m.moments.len();
        let known = names.iter().all(|n| canonical(n).is_some());
        if !(lyric_ok && line_ok && artist_ok && themes_ok && moments_ok && known) {
            return None;
        }
        let mut out = String::with_capacity(pattern.len() + 32);
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}')?;
            out.push_str(&rest[..open]);
            let value = match canonical(&rest[open + 1..close]) {
                Some("lyric") => self.m.lyrics[0].clone(),
                Some("line") => self.m.lyrics[1].clone(),
                Some("artist") => {
                    self.artist_left = self.artist_left.saturating_sub(1);
                    self.m.artist.clone().unwrap_or_default()
                }
                Some("mood") => self.m.mood.clone(),
                Some("theme") => {
                    self.next_theme += 1;
                    self.m.themes[self.next_theme - 1].clone()
                }
                Some("moment") => {
                    self.next_moment += 1;
                    self.m.moments[self.next_moment - 1].clone()
                }
                _ => String::new(),
            };
            out.push_str(&value);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        Some(tidy_spacing(&out))
    }
}

/// True when a frame needs nothing that differs between the captions of a batch (a lyric, a
/// theme or a moment), so that two videos choosing it would write the same sentence.
pub(super) fn is_fixed(frame: &str) -> bool {
    placeholders(frame).is_ok_and(|names| {
        !names.iter().any(|n| {
            matches!(
                canonical(n),
                Some("lyric" | "line" | "theme" | "moment") | None
            )
        })
    })
}

/// The fixed frame ([`is_fixed`]) of a pool that the caption in slot `s` of its batch
/// prefers: the pool's fixed frames are shuffled by the batch's seed and dealt in turn, so
/// the videos of a batch do not repeat each other's fixed sentences until every one is used.
pub(super) fn dealt_fixed<'f>(pool: &[&'f str], deal: PhraseDeal) -> Option<&'f str> {
    let mut fixed: Vec<&str> = pool.iter().copied().filter(|f| is_fixed(f)).collect();
    if fixed.is_empty() {
        return None;
    }
    fixed.sort_unstable();
    fixed.dedup();
    // FNV-1a of the pool, so each pool has its own deal.
    let key = fixed
        .iter()
        .flat_map(|f| f.bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let mut rng = ChaCha8Rng::seed_from_u64(deal.seed ^ key);
    rng.set_stream(3);
    fixed.shuffle(&mut rng);
    Some(fixed[deal.slot % fixed.len()])
}

/// A template format with its placeholders under their canonical names; None when it names
/// an unknown one or its braces do not pair.
fn canonical_pattern(format: &str) -> Option<String> {
    placeholders(format).ok()?;
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}')?;
        out.push_str(&rest[..open]);
        out.push('{');
        out.push_str(canonical(&rest[open + 1..close])?);
        out.push('}');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A placeholder's canonical name; templates may use a few aliases.
fn canonical(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "lyric" | "lyrics" | "hook" => "lyric",
        "line" | "lyric2" | "next_line" => "line",
        "artist" | "artist_name" | "name" => "artist",
        "mood" => "mood",
        "theme" | "theme2" | "topic" => "theme",
        "moment" | "place" => "moment",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deals_are_disjoint_and_stable() {
        let list: Vec<String> = (0..7).map(|i| format!("phrase {i}")).collect();
        let mut seen = std::collections::HashSet::new();
        for slot in 0..10 {
            for p in deal(&list, 42, 1, slot, 2) {
                assert!(seen.insert(p.clone()), "{p} dealt twice");
            }
        }
        assert_eq!(seen.len(), 7);
        assert_eq!(deal(&list, 42, 1, 1, 2), deal(&list, 42, 1, 1, 2));
        assert!(deal(&list, 42, 1, 4, 2).is_empty());
    }
}
