//! Writing the caption text.
//!
//! Captions are composed locally from the clip's lyric lines, short
//! phrases mined from the artist's and audience's notes (themes such as "summer nights", moments
//! such as "late at night in your room"), the template's caption formats and a set of sentence
//! frames chosen by the guide's tone. A seeded ChaCha8 generator makes every choice, so the same
//! seed always writes the same caption. Each length is assembled from random choices a few times
//! until it lands in its word range, with a fallback that always does.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{CaptionLength, Voice};
use crate::template::CaptionGuide;

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
    /// The run's mood, an adjective such as "warm" or "dreamy".
    pub mood: &'a str,
}

/// Writes a caption of the given length. Deterministic for a given seed.
pub fn write_caption(ctx: &CaptionContext, length: CaptionLength, seed: u64) -> String {
    if length == CaptionLength::None {
        return String::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let material = Material::gather(ctx, &mut rng);
    let text = match length {
        CaptionLength::None => String::new(),
        CaptionLength::Short => write_short(&material, &mut rng),
        CaptionLength::Medium => write_medium(&material, &mut rng),
        CaptionLength::Long => write_long(&material, &mut rng),
    };
    material.finish(&text)
}

// ---------------------------------------------------------------------------------------------
// Cleaning

/// Strips quotes and emoji/pictographs and normalises whitespace. Apostrophes inside words
/// ("don't") are kept, as a straight `'`.
pub fn clean_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if is_pictograph(c) {
            continue;
        }
        if is_apostrophe(c) {
            let before = i > 0 && chars[i - 1].is_alphanumeric();
            let after = chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
            if before && after {
                out.push('\'');
            }
            continue;
        }
        if is_quote(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    tidy_spacing(&out)
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201C}'
            | '\u{201D}'
            | '\u{201E}'
            | '\u{201F}'
            | '\u{00AB}'
            | '\u{00BB}'
            | '\u{2039}'
            | '\u{203A}'
            | '\u{2033}'
            | '\u{300C}'
            | '\u{300D}'
            | '\u{300E}'
            | '\u{300F}'
            | '\u{FF02}'
    )
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{00B4}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201A}'
            | '\u{201B}'
            | '\u{2032}'
            | '\u{02BC}'
            | '\u{FF07}'
    )
}

/// Emoji, pictographs, music notes and the invisible characters that glue emoji sequences.
fn is_pictograph(c: char) -> bool {
    matches!(
        c as u32,
        0x1F000..=0x1FAFF // emoji, pictographs, flags, skin tones
            | 0x2190..=0x21FF // arrows
            | 0x2300..=0x23FF // technical symbols (watch, hourglass…)
            | 0x25A0..=0x27BF // shapes, misc symbols (♪ ☀ ♥), dingbats
            | 0x2900..=0x297F
            | 0x2B00..=0x2BFF
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
            | 0x200D // zero-width joiner
            | 0x20E3 // keycap
            | 0xFE00..=0xFE0F // variation selectors
            | 0xE0000..=0xE007F // tags
    )
}

/// Collapses whitespace and removes spaces left before punctuation.
fn tidy_spacing(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let lone_punct = word
            .chars()
            .all(|c| matches!(c, ',' | '.' | '!' | '?' | ';' | ':'));
        if lone_punct && !out.is_empty() {
            out.push_str(word);
            continue;
        }
        if word == "()" || word == "[]" {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Material

/// Everything mined from the context, cleaned and ready to drop into frames.
struct Material {
    /// Lyric lines, best hook first; no trailing punctuation, no sentence breaks inside.
    lyrics: Vec<String>,
    themes: Vec<String>,
    moments: Vec<String>,
    artist: Option<String>,
    mood: String,
    voice: Voice,
    lowercase: bool,
    formats: Vec<String>,
    examples: Vec<String>,
}

/// Used when the notes give no themes or moments, so frames always have something to say.
const GENERIC_THEMES: &[&str] = &[
    "the little moments",
    "late nights and open windows",
    "the people who stay",
    "the long way home",
    "everything left unsaid",
    "the last light of the day",
];
const GENERIC_MOMENTS: &[&str] = &[
    "late at night",
    "on the way home",
    "with the windows down",
    "before the sun comes up",
    "on your own time",
    "with the volume up",
];

impl Material {
    fn gather(ctx: &CaptionContext, rng: &mut ChaCha8Rng) -> Material {
        let lyrics = pick_order(&lyric_lines(ctx.clip_lyrics), rng);

        let mut themes = Vec::new();
        let mut moments = Vec::new();
        if let Some(md) = ctx.artist_md {
            mine_markdown(md, Source::Artist, &mut themes, &mut moments);
        }
        if let Some(md) = ctx.audience_md {
            mine_markdown(md, Source::Audience, &mut themes, &mut moments);
        }
        dedupe(&mut themes);
        dedupe(&mut moments);
        if themes.is_empty() {
            themes = GENERIC_THEMES.iter().map(|s| s.to_string()).collect();
        }
        if moments.is_empty() {
            moments = GENERIC_MOMENTS.iter().map(|s| s.to_string()).collect();
        }
        themes.shuffle(rng);
        moments.shuffle(rng);

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
            themes,
            moments,
            artist,
            mood,
            voice: ctx.guide.voice,
            lowercase,
            formats: ctx
                .guide
                .formats
                .iter()
                .map(single_sentence)
                .filter(|f| !f.is_empty())
                .collect(),
            examples: ctx
                .guide
                .examples
                .iter()
                .map(single_sentence)
                .filter(|f| !f.is_empty() && !f.contains('{'))
                .collect(),
        }
    }

    fn slots(&self) -> Slots<'_> {
        Slots {
            m: self,
            next_theme: 0,
            next_moment: 0,
            artist_left: usize::MAX,
        }
    }

    /// Slots that name the artist at most `n` times (a caption that repeats the name reads
    /// like an advert).
    fn slots_naming_artist(&self, n: usize) -> Slots<'_> {
        Slots {
            artist_left: n,
            ..self.slots()
        }
    }

    /// Final pass: cleaning, articles, case.
    fn finish(&self, text: &str) -> String {
        let text = fix_articles(&clean_text(text));
        if self.lowercase {
            text.to_lowercase()
        } else {
            text
        }
    }
}

/// Fills `{placeholder}`s. Themes and moments are handed out in turn, so a story does not
/// repeat the same one.
struct Slots<'m> {
    m: &'m Material,
    next_theme: usize,
    next_moment: usize,
    artist_left: usize,
}

impl Slots<'_> {
    /// None when the pattern needs something the material lacks, or names an unknown slot.
    fn fill(&mut self, pattern: &str) -> Option<String> {
        let mut out = String::with_capacity(pattern.len() + 32);
        let mut rest = pattern;
        // Check availability first, so an unusable pattern consumes nothing.
        let names = placeholders(pattern);
        let artist_uses = names
            .iter()
            .filter(|n| canonical(n) == Some("artist"))
            .count();
        if artist_uses > self.artist_left {
            return None;
        }
        for name in &names {
            let ok = match canonical(name) {
                Some("lyric") => !self.m.lyrics.is_empty(),
                Some("line") => self.m.lyrics.len() >= 2,
                Some("artist") => self.m.artist.is_some(),
                Some(_) => true,
                None => false,
            };
            if !ok {
                return None;
            }
        }
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            out.push_str(&rest[..open]);
            let name = &rest[open + 1..open + close];
            let value = match canonical(name) {
                Some("lyric") => inline(&self.m.lyrics[0]),
                Some("line") => inline(&self.m.lyrics[1]),
                Some("artist") => {
                    self.artist_left = self.artist_left.saturating_sub(1);
                    self.m.artist.clone().unwrap_or_default()
                }
                Some("mood") => self.m.mood.clone(),
                Some("theme") => {
                    let t = self.m.themes[self.next_theme % self.m.themes.len()].clone();
                    self.next_theme += 1;
                    t
                }
                Some("moment") => {
                    let t = self.m.moments[self.next_moment % self.m.moments.len()].clone();
                    self.next_moment += 1;
                    t
                }
                _ => String::new(),
            };
            out.push_str(&value);
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        Some(tidy_spacing(&out))
    }
}

fn placeholders(pattern: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        names.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    names
}

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

/// A lyric line as it reads inside a sentence: first letter lowered unless it is "I" or an
/// acronym.
fn inline(line: &str) -> String {
    let first = line.split_whitespace().next().unwrap_or("");
    let keep = first == "I"
        || first.starts_with("I'")
        || (first.chars().count() > 1 && first.chars().all(|c| !c.is_lowercase()));
    if keep {
        line.to_string()
    } else {
        lower_first(line)
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Makes text safe to use inside one sentence: sentence-ending marks become commas and the
/// ends are trimmed of punctuation.
fn sentence_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' | '!' | '?' | '…' => {
                // Collapse runs ("...", "?!") into one comma.
                while chars
                    .peek()
                    .is_some_and(|n| matches!(n, '.' | '!' | '?' | '…'))
                {
                    chars.next();
                }
                out.push(',');
            }
            _ => out.push(c),
        }
    }
    let out = tidy_spacing(&out.replace(",,", ","));
    trim_punct(&out).to_string()
}

fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '-' | '–' | '—' | '…')
    })
}

fn dedupe(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|s| seen.insert(s.to_lowercase()));
}

// ---------------------------------------------------------------------------------------------
// Lyrics

const FILLER: &[&str] = &[
    "oh",
    "ooh",
    "ah",
    "aah",
    "yeah",
    "la",
    "na",
    "hey",
    "mm",
    "mmm",
    "hmm",
    "uh",
    "whoa",
    "woah",
    "ha",
    "da",
    "doo",
    "ba",
    "yeah-yeah",
    "oh-oh",
    "ooh-ooh",
    "baby",
];
/// Lines longer than this are split at commas, then into even chunks.
const MAX_LYRIC_WORDS: usize = 12;
const CHUNK_WORDS: usize = 8;

/// The clip's lyric lines, cleaned and split into caption-sized pieces, best hook first
/// (repeated lines rank up: they are usually the chorus).
fn lyric_lines(lyrics: &str) -> Vec<String> {
    let without_cues = remove_bracketed(lyrics);
    let mut pieces: Vec<String> = Vec::new();
    for raw in without_cues.lines() {
        let line = sentence_case(&clean_text(raw));
        for sentence in split_keep(&line, &['.', '!', '?', ';', '…']) {
            let words = sentence.split_whitespace().count();
            let parts = if words > MAX_LYRIC_WORDS {
                split_keep(&sentence, &[','])
            } else {
                vec![sentence]
            };
            for part in parts {
                let words: Vec<&str> = part.split_whitespace().collect();
                if words.len() > MAX_LYRIC_WORDS {
                    let n = words.len().div_ceil(CHUNK_WORDS);
                    let size = words.len().div_ceil(n);
                    pieces.extend(words.chunks(size).map(|c| c.join(" ")));
                } else {
                    pieces.push(part);
                }
            }
        }
    }

    // Keep first occurrence order, count repeats: (line, key, repeats, words).
    let mut lines: Vec<(String, usize, usize)> = Vec::new();
    let mut keys: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for piece in pieces {
        let line = sentence_safe(&piece);
        let key: String = line
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace())
            .collect();
        let key = tidy_spacing(&key);
        let words: Vec<&str> = key.split_whitespace().collect();
        if words.is_empty() || words.iter().all(|w| FILLER.contains(w)) {
            continue;
        }
        match keys.get(&key) {
            Some(&i) => lines[i].1 += 1,
            None => {
                let n = words.len();
                keys.insert(key, lines.len());
                lines.push((line, 1, n));
            }
        }
    }
    let score = |(_, repeats, words): &(String, usize, usize)| {
        // Hooks: repeated, and around six words long.
        let len_score = 6i64 - (*words as i64 - 6).abs();
        2 * (*repeats as i64 - 1) + len_score.max(-4)
    };
    let mut ranked: Vec<(usize, i64)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, score(l)))
        .collect();
    // Stable: ties keep song order.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    ranked
        .into_iter()
        .map(|(i, _)| lines[i].0.clone())
        .collect()
}

/// A line sung in Title Case ("Windows Down On An Empty Road", as Whisper often writes lyrics)
/// in sentence case; other lines as they are. "I", its contractions and all-capital words
/// (names such as "NASA") keep their capitals.
fn sentence_case(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let starts_upper = |w: &str| {
        w.chars()
            .find(|c| c.is_alphabetic())
            .is_some_and(char::is_uppercase)
    };
    if words.len() < 3
        || !words
            .iter()
            .all(|w| starts_upper(w) || !w.chars().any(char::is_alphabetic))
    {
        return line.to_string();
    }
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let keep = i == 0
                || *w == "I"
                || w.starts_with("I'")
                || w.chars().skip(1).any(char::is_uppercase);
            if keep {
                w.to_string()
            } else {
                w.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shuffles lines lightly: the hook is drawn from the best few, weighted towards the top, and
/// the rest keep their rank order.
fn pick_order(lines: &[String], rng: &mut ChaCha8Rng) -> Vec<String> {
    if lines.len() < 2 {
        return lines.to_vec();
    }
    let top = lines.len().min(4);
    let weights = [4u32, 3, 2, 2];
    let total: u32 = weights[..top].iter().sum();
    let mut roll = rng.random_range(0..total);
    let mut first = 0;
    for (i, w) in weights[..top].iter().enumerate() {
        if roll < *w {
            first = i;
            break;
        }
        roll -= w;
    }
    let mut out = vec![lines[first].clone()];
    // The second line: any other of the best few, so {line} varies too.
    let mut rest: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != first)
        .map(|(_, l)| l.clone())
        .collect();
    let second = rng.random_range(0..rest.len().min(4));
    let s = rest.remove(second);
    out.push(s);
    out.extend(rest);
    out
}

/// Removes `[Chorus]`, `(x2)` and similar cues.
fn remove_bracketed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            '\n' => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// Splits after any of `marks`, keeping each piece trimmed and non-empty.
fn split_keep(text: &str, marks: &[char]) -> Vec<String> {
    text.split(|c| marks.contains(&c))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Markdown notes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Artist,
    Audience,
}

/// What a section of the notes is good for, by its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Instructions, platforms, dislikes: not caption material.
    Skip,
    /// Release notes and the intro: only "a song about X" phrases.
    AboutOnly,
    /// Things the listeners like: themes.
    Likes,
    General,
}

const SKIP_HEADINGS: &[&str] = &[
    "voice",
    "tone",
    "style",
    "visual",
    "rule",
    "guideline",
    "avoid",
    "don't",
    "dont",
    "do not",
    " off",
    "dislike",
    "hate",
    "platform",
    "format",
    "contact",
    "link",
    "social",
    "press",
    "tech",
    "gear",
    "equipment",
    "colour",
    "color",
    "palette",
    "brand",
    "stat",
    "demograph",
    "budget",
    "schedule",
    "posting",
    "hashtag",
    "caption",
    "credit",
];
const ABOUT_HEADINGS: &[&str] = &[
    "release",
    "discograph",
    "album",
    "single",
    "track",
    "song",
    "catalog",
    "bio",
    "about",
];
const LIKE_HEADINGS: &[&str] = &[
    "like", "love", "enjoy", "want", "care", "into", "theme", "moment",
];

fn classify(heading: &str, source: Source, artist_title: bool) -> Section {
    let h = format!(" {} ", heading.to_lowercase());
    if SKIP_HEADINGS.iter().any(|k| h.contains(k)) {
        return Section::Skip;
    }
    if artist_title || ABOUT_HEADINGS.iter().any(|k| h.contains(k)) {
        return Section::AboutOnly;
    }
    if LIKE_HEADINGS.iter().any(|k| h.contains(k)) {
        return Section::Likes;
    }
    match source {
        Source::Artist => Section::General,
        // Who the listeners are is not what a caption talks about; where they listen is.
        Source::Audience => Section::AboutOnly,
    }
}

/// Words that mark a fragment as talk about the music business or the notes themselves.
const META_WORDS: &[&str] = &[
    "caption",
    "captions",
    "emoji",
    "emojis",
    "hashtag",
    "hashtags",
    "hype",
    "brand",
    "platform",
    "platforms",
    "tiktok",
    "instagram",
    "reels",
    "youtube",
    "shorts",
    "spotify",
    "apple",
    "streams",
    "streaming",
    "likes",
    "saves",
    "followers",
    "audience",
    "fans",
    "artist",
    "artists",
    "listeners",
    "percent",
    "women",
    "men",
    "olds",
    "lyrics",
    "lyric",
    "vocal",
    "vocals",
    "clips",
    "clip",
    "edits",
    "filters",
    "visuals",
    "visual",
    "colours",
    "colors",
    "palette",
    "playlist",
    "playlists",
    "genre",
    "bio",
    "link",
    "copy",
    "content",
    "post",
    "posts",
    "video",
    "videos",
    "camera",
    "framing",
    "shot",
    "shots",
    "release",
    "releases",
    "label",
    "marketing",
];
/// A fragment starting with one of these is an instruction or a statement, not a phrase.
const BAD_FIRST_WORDS: &[&str] = &[
    "use", "uses", "avoid", "no", "never", "always", "keep", "make", "write", "writes", "speak",
    "speaks", "post", "include", "don't", "do", "they", "we", "he", "she", "it", "i", "you",
    "this", "that", "these", "those", "mostly", "roughly", "also", "but", "so", "is", "are",
];
/// Fragments with these are clauses rather than phrases.
const VERB_WORDS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "has", "have", "had", "should", "must",
];
/// First words that make a fragment a listening moment ("late at night in your room").
const MOMENT_WORDS: &[&str] = &[
    "on", "in", "at", "late", "during", "when", "while", "after", "before", "through", "under",
    "between", "across", "from", "with", "around", "alone",
];
const LEADING_JOINERS: &[&str] = &["and", "or", "but", "plus", "also", "then"];

fn mine_markdown(md: &str, source: Source, themes: &mut Vec<String>, moments: &mut Vec<String>) {
    let mut in_code = false;
    let mut items: Vec<(Section, String)> = Vec::new();
    let mut current: Option<String> = None;
    let mut section = classify("", source, false);

    let flush = |current: &mut Option<String>, items: &mut Vec<(Section, String)>, section| {
        if let Some(text) = current.take() {
            items.push((section, text));
        }
    };
    for raw in md.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            flush(&mut current, &mut items, section);
            continue;
        }
        if in_code || trimmed.starts_with('|') || trimmed.starts_with("<!--") {
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('#') {
            flush(&mut current, &mut items, section);
            let level = 1 + h.chars().take_while(|c| *c == '#').count();
            let heading = strip_inline_markdown(h.trim_start_matches('#'));
            // A level-one title is usually the artist's name; the text under it is a bio.
            section = classify(&heading, source, level == 1);
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut current, &mut items, section);
            continue;
        }
        let body = trimmed.trim_start_matches('>').trim();
        if let Some(item) = bullet_text(body) {
            flush(&mut current, &mut items, section);
            current = Some(strip_inline_markdown(item));
        } else {
            let text = strip_inline_markdown(body);
            match &mut current {
                Some(c) => {
                    c.push(' ');
                    c.push_str(&text);
                }
                None => current = Some(text),
            }
        }
    }
    flush(&mut current, &mut items, section);

    for (section, text) in items {
        if section == Section::Skip {
            continue;
        }
        let text = clean_text(&text);
        for phrase in about_phrases(&text) {
            if let Some(p) = tidy_fragment(&phrase, source) {
                if !is_moment(&p) {
                    themes.push(p);
                }
            }
        }
        if section == Section::AboutOnly && source == Source::Artist {
            continue;
        }
        for fragment in fragments(&text) {
            let Some(p) = tidy_fragment(&fragment, source) else {
                continue;
            };
            if is_moment(&p) {
                moments.push(p);
            } else if section != Section::AboutOnly {
                themes.push(p);
            }
        }
    }
}

fn bullet_text(line: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ ", "• ", "– "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest.trim());
        }
    }
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r.trim());
        }
    }
    None
}

/// Removes emphasis, code, links (keeping their text), images and HTML tags.
fn strip_inline_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '!' if chars.get(i + 1) == Some(&'[') => {
                // Image: drop it all.
                if let Some(end) = find_from(&chars, i, ')') {
                    i = end + 1;
                    continue;
                }
                i += 1;
            }
            '[' => {
                // Link: keep the text, drop the target.
                if let Some(close) = find_from(&chars, i, ']') {
                    out.extend(&chars[i + 1..close]);
                    i = close + 1;
                    if chars.get(i) == Some(&'(') {
                        if let Some(end) = find_from(&chars, i, ')') {
                            i = end + 1;
                        }
                    }
                    continue;
                }
                i += 1;
            }
            '<' => {
                if let Some(end) = find_from(&chars, i, '>') {
                    i = end + 1;
                    continue;
                }
                out.push(c);
                i += 1;
            }
            '*' | '`' | '~' => i += 1,
            '_' => {
                let inner = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if inner {
                    out.push(' ');
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    tidy_spacing(&out)
}

fn find_from(chars: &[char], start: usize, target: char) -> Option<usize> {
    chars[start..]
        .iter()
        .position(|&c| c == target)
        .map(|p| p + start)
}

/// "X about Y." gives Y: a song's subject.
fn about_phrases(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(" about ") {
        let start = from + pos + " about ".len();
        let rest = &text[start..];
        let end = rest
            .find(['.', ';', ':', '!', '?', '(', '—', '–'])
            .unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        from = start;
    }
    out
}

/// Splits a note into candidate phrases: the list after a short label ("Small moments that
/// feel big: a shared song, a lantern in the sky"), the label itself, and comma pieces.
fn fragments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in split_keep(text, &['.', '!', '?', ';']) {
        let (label, list) = match sentence.split_once(':') {
            Some((l, r)) => (Some(l.trim()), r.trim()),
            None => (None, sentence.as_str()),
        };
        if let Some(label) = label {
            if label.split_whitespace().count() <= 6 && !label.contains(',') {
                out.push(label.to_string());
            }
        }
        for piece in list.split([',', '—', '–']) {
            let piece = piece.trim();
            // "a and b" pairs stay together; long "x and y" chains split.
            if piece.split_whitespace().count() > 9 {
                out.extend(piece.split(" and ").map(|s| s.trim().to_string()));
            } else {
                out.push(piece.to_string());
            }
        }
    }
    out
}

/// Cleans one fragment and decides whether it is usable caption material.
fn tidy_fragment(fragment: &str, source: Source) -> Option<String> {
    let mut words: Vec<String> = trim_punct(fragment)
        .split_whitespace()
        .map(|w| w.to_string())
        .collect();
    while words
        .first()
        .is_some_and(|w| LEADING_JOINERS.contains(&w.to_lowercase().as_str()))
    {
        words.remove(0);
    }
    if source == Source::Audience {
        for w in words.iter_mut() {
            let swapped = match w.to_lowercase().as_str() {
                "their" => "your",
                "they" => "you",
                "them" => "you",
                "themselves" => "yourself",
                "theirs" => "yours",
                _ => continue,
            };
            *w = swapped.to_string();
        }
    }
    if words.len() < 2 || words.len() > 9 {
        return None;
    }
    let lower: Vec<String> = words
        .iter()
        .map(|w| {
            w.to_lowercase()
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_string()
        })
        .collect();
    if BAD_FIRST_WORDS.contains(&lower[0].as_str())
        || lower
            .iter()
            .any(|w| META_WORDS.contains(&w.as_str()) || VERB_WORDS.contains(&w.as_str()))
        || words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()))
        || words
            .iter()
            .any(|w| w.contains('%') || w.contains('/') || w.contains('@'))
    {
        return None;
    }
    let phrase = sentence_safe(&words.join(" "));
    if phrase.is_empty() {
        return None;
    }
    // Sentence case in the notes; inside a caption the phrase continues a sentence.
    Some(inline(&phrase))
}

fn is_moment(phrase: &str) -> bool {
    let first = phrase
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase();
    MOMENT_WORDS.contains(&first.as_str())
}

// ---------------------------------------------------------------------------------------------
// Frames

/// Short captions: one line, at most ten words.
const SHORT_FRAMES: &[&str] = &[
    "{lyric}",
    "{lyric}",
    "{lyric} — {artist}",
    "{line}",
    "for {theme}",
    "{theme}, on repeat",
    "{mood} hours with {artist}",
    "play it {moment}",
    "{artist}, {mood} and close",
];
const SHORT_BOLD: &[&str] = &[
    "{lyric}, turn it up",
    "{artist}, live and {mood}",
    "louder for {theme}",
];
const SHORT_EDITORIAL: &[&str] = &[
    "{artist}: {lyric}",
    "new from {artist}",
    "{artist}, on {theme}",
];
const SHORT_CRATE: &[&str] = &[
    "found in the crates: {artist}",
    "side A: {lyric}",
    "{artist}, on repeat",
];

/// Medium: the second sentence, giving context to the lyric.
const MEDIUM_CONTEXT: &[&str] = &[
    "{artist} wrote this one for {theme}",
    "A {mood} little song about {theme}, made for listening {moment}",
    "Made for listening {moment}, when everything slows down for a minute",
    "Some songs just feel {mood}, and this one from {artist} is one of them",
    "Keep this one close for the nights that feel {mood}",
    "A {mood} one from {artist}, for anyone still thinking about {theme}",
    "This is what {theme} sounds like from the inside",
    "Play it {moment} and let it stay a while",
];
const MEDIUM_BOLD: &[&str] = &[
    "Turn it up and let {artist} take it from here",
    "This is the part where the whole room sings it back",
    "Made for {theme} and the loudest part of the night",
    "{artist} on stage, {mood} from the very first note",
];
const MEDIUM_EDITORIAL: &[&str] = &[
    "New from {artist}: a {mood} study of {theme}",
    "{artist} returns with a {mood} record about {theme}",
    "Out now, and written for {theme}",
    "The next chapter for {artist} starts here, {mood} and unhurried",
];
const MEDIUM_CRATE: &[&str] = &[
    "Found in the crates: {artist}, {mood} and made for {theme}",
    "Side A, track one, and it already feels like {theme}",
    "Some records you keep forever, and this one is {mood} from the first groove",
    "Dig through the bins long enough and you find something like this",
];
/// Medium: the lyric sentence when the guide has no usable format.
const MEDIUM_HOOK: &[&str] = &[
    "{lyric}",
    "{lyric}, {artist} sings",
    "{lyric}, and that says it all",
];
/// Medium without lyrics.
const MEDIUM_NO_LYRIC: &[&str] = &[
    "No words needed for this one, just {theme}",
    "A {mood} moment from {artist}",
    "Some songs say it without a single line",
    "Just the music and {theme}",
];
/// Always fits: sixteen words with no placeholder that can be missing.
const MEDIUM_FALLBACK: &str =
    "It is the kind of song that stays with you long after the last note ends";
/// Clauses that lengthen a sentence that came out short.
const EXTENSIONS: &[&str] = &[
    ", made for listening {moment}",
    ", for anyone who misses {theme}",
    ", {mood} and close",
    ", the kind of song you keep coming back to",
];

/// Long: a small story in four to seven sentences.
const LONG_OPENERS: &[&str] = &[
    "It starts {moment}, with nothing planned and nowhere to be",
    "Some nights feel {mood} before anything even happens",
    "Picture {theme}, the light going soft and the world going quiet",
    "There is a version of tonight that only exists inside this song",
];
const LONG_OPEN_BOLD: &[&str] = &[
    "The lights drop, the first chord hits and the whole room leans in",
    "Somewhere near the front, a thousand voices are waiting for the chorus",
];
const LONG_OPEN_EDITORIAL: &[&str] = &[
    "{artist} has always written about {theme}, and this new chapter goes further",
    "Every release has a centre of gravity, and for {artist} it is {theme}",
];
const LONG_OPEN_CRATE: &[&str] = &[
    "Somewhere between the new arrivals and the dusty back shelves, a sleeve catches your eye",
    "You flip through the bins without looking for anything, and then there it is",
];
const LONG_LYRIC: &[&str] = &[
    "Then the line arrives: {lyric}",
    "{artist} sings it plainly, {lyric}, and it lands",
    "And right in the middle of it, {lyric}",
    "You hear {lyric} and suddenly it is about you",
];
const LONG_MIDDLE: &[&str] = &[
    "It is a song about {theme}, and about {theme} too",
    "{line}, it goes on, and you believe every word",
    "Everything about it feels {mood}: the hush, the pull, the little ache of {theme}",
    "It sounds like {theme}, the kind you only notice once it is gone",
    "Maybe it is about {theme}, maybe it is about whoever you are thinking of right now",
];
const LONG_CLOSERS: &[&str] = &[
    "Play it again, {mood} and slow, until it feels like yours",
    "Some songs pass through, and this one stays",
    "From {artist}, for whoever needs it tonight",
    "Save it for later and play it {moment}",
];
const LONG_CLOSE_BOLD: &[&str] = &[
    "Turn it up and sing the last line back",
    "See you at the front next time",
];
const LONG_CLOSE_EDITORIAL: &[&str] = &[
    "Consider this the first page of the next chapter",
    "Press play, and remember where you heard it first",
];
const LONG_CLOSE_CRATE: &[&str] = &[
    "Take it home, put the needle down and let it play",
    "Some finds are worth the dust on your fingers",
];
/// Padding for stories that came out short; no placeholder that can be missing.
const LONG_PADDING: &[&str] = &[
    "Nobody has to say anything; the song does it for you",
    "It is small and {mood} and it keeps you company",
    "Let the chorus carry the rest",
    "Some moments only make sense with the right song playing",
    "You do not need a reason to press play again",
    "The room gets a little warmer every time it comes back around",
];

fn voice_frames<'a>(
    voice: Voice,
    bold: &'a [&'a str],
    editorial: &'a [&'a str],
    crate_: &'a [&'a str],
) -> &'a [&'a str] {
    match voice {
        Voice::Bold => bold,
        Voice::Editorial => editorial,
        Voice::Crate => crate_,
        Voice::Soft => &[],
    }
}

// ---------------------------------------------------------------------------------------------
// Assembly

/// Words that end a trimmed caption badly.
const DANGLING: &[&str] = &[
    "and", "or", "but", "the", "a", "an", "of", "to", "with", "in", "on", "for", "my", "your",
    "our", "at", "is", "that", "so", "as", "from", "by", "into",
];

fn tokens(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Words proper: tokens with a letter or digit (a lone dash is not a word).
fn words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|t| t.chars().any(|c| c.is_alphanumeric()))
        .count()
}

/// Cuts text to at most `max` tokens, preferring a comma break and never ending on a joiner.
fn trim_to(text: &str, max: usize) -> String {
    let toks: Vec<&str> = text.split_whitespace().collect();
    if toks.len() <= max {
        return trim_punct(text).to_string();
    }
    let mut cut = max;
    // A comma in the second half of the allowance makes a natural end.
    if let Some(p) = (max / 2..max).rev().find(|&i| toks[i].ends_with(',')) {
        cut = p + 1;
    }
    let mut kept: Vec<&str> = toks[..cut].to_vec();
    while kept.len() > 1
        && kept.last().is_some_and(|w| {
            DANGLING.contains(&trim_punct(w).to_lowercase().as_str()) || trim_punct(w).is_empty()
        })
    {
        kept.pop();
    }
    trim_punct(&kept.join(" ")).to_string()
}

/// Joins sentences: capitalised, each ending with a full stop.
fn join_sentences(sentences: &[String]) -> String {
    sentences
        .iter()
        .map(|s| trim_punct(s).to_string())
        .filter(|s| !s.is_empty())
        .map(|s| format!("{}.", upper_first(&s)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Picks a fillable frame at random, optionally within a token budget.
fn pick(
    frames: &[&str],
    slots: &mut Slots,
    rng: &mut ChaCha8Rng,
    max_tokens: usize,
) -> Option<String> {
    let mut order: Vec<&str> = frames.to_vec();
    order.shuffle(rng);
    order.into_iter().find_map(|f| {
        // Try a fresh filler so a rejected frame does not use up themes.
        let saved = (slots.next_theme, slots.next_moment, slots.artist_left);
        let filled = slots
            .fill(f)
            .filter(|s| tokens(s) <= max_tokens && !s.is_empty());
        if filled.is_none() {
            (slots.next_theme, slots.next_moment, slots.artist_left) = saved;
        }
        filled
    })
}

/// Like [`pick`], but with probability `p` the template voice's own frames are tried first, so
/// templates sound different from each other and not only from the shared pool.
fn pick_voiced(
    general: &[&str],
    voiced: &[&str],
    slots: &mut Slots,
    rng: &mut ChaCha8Rng,
    max_tokens: usize,
    p: f64,
) -> Option<String> {
    if !voiced.is_empty() && rng.random_bool(p) {
        if let Some(s) = pick(voiced, slots, rng, max_tokens) {
            return Some(s);
        }
    }
    let all: Vec<&str> = general.iter().chain(voiced).copied().collect();
    pick(&all, slots, rng, max_tokens)
}

fn write_short(m: &Material, rng: &mut ChaCha8Rng) -> String {
    const MAX: usize = 10;
    let mut slots = m.slots();
    let mut candidates: Vec<(String, u32)> = Vec::new();
    for f in &m.formats {
        if let Some(s) = slots.fill(f) {
            let weight = if f.contains("{lyric") { 4 } else { 2 };
            candidates.push((s, weight));
        }
    }
    let extra = voice_frames(m.voice, SHORT_BOLD, SHORT_EDITORIAL, SHORT_CRATE);
    for f in SHORT_FRAMES.iter().chain(extra) {
        if let Some(s) = slots.fill(f) {
            let weight = if f.contains("{lyric") || f.contains("{line") {
                3
            } else {
                1
            };
            candidates.push((s, weight));
        }
    }
    if m.lyrics.is_empty() {
        candidates.extend(m.examples.iter().map(|e| (e.clone(), 2)));
    }
    // Candidates that fit whole read better than trimmed ones.
    let fitting: Vec<(String, u32)> = candidates
        .iter()
        .filter(|(s, _)| tokens(s) <= MAX && words(s) >= 2)
        .cloned()
        .collect();
    let pool = if fitting.is_empty() {
        candidates
    } else {
        fitting
    };
    let chosen = weighted(&pool, rng).unwrap_or_else(|| format!("{} hours", m.mood));
    upper_first(&trim_to(&chosen, MAX))
}

fn weighted(pool: &[(String, u32)], rng: &mut ChaCha8Rng) -> Option<String> {
    let total: u32 = pool.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.random_range(0..total);
    for (s, w) in pool {
        if roll < *w {
            return Some(s.clone());
        }
        roll -= w;
    }
    None
}

fn write_medium(m: &Material, rng: &mut ChaCha8Rng) -> String {
    const MIN: usize = 15;
    const MAX: usize = 30;
    let voiced = voice_frames(m.voice, MEDIUM_BOLD, MEDIUM_EDITORIAL, MEDIUM_CRATE);
    let lyric_formats: Vec<&str> = m
        .formats
        .iter()
        .map(String::as_str)
        .filter(|f| f.contains("{lyric") || f.contains("{line"))
        .collect();
    for _ in 0..12 {
        let mut slots = m.slots_naming_artist(1);
        let hook = if m.lyrics.is_empty() {
            let mut pool: Vec<&str> = MEDIUM_NO_LYRIC.to_vec();
            pool.extend(m.examples.iter().map(String::as_str));
            pick(&pool, &mut slots, rng, 16)
        } else if !lyric_formats.is_empty() && rng.random_bool(0.6) {
            pick(&lyric_formats, &mut slots, rng, 18)
        } else {
            pick(MEDIUM_HOOK, &mut slots, rng, 18)
        };
        let Some(hook) = hook else { continue };
        let Some(mut second) = pick_voiced(MEDIUM_CONTEXT, voiced, &mut slots, rng, MAX, 0.5)
        else {
            continue;
        };
        let mut tries = 0;
        while words(&hook) + words(&second) < MIN && tries < 3 {
            if let Some(ext) = pick(EXTENSIONS, &mut slots, rng, MAX) {
                second.push_str(&ext);
            }
            tries += 1;
        }
        // The lyric usually leads; sometimes the context sets it up.
        let sentences = if rng.random_bool(0.75) {
            vec![hook, second]
        } else {
            vec![second, hook]
        };
        let text = join_sentences(&sentences);
        let text = m.finish(&text);
        if (MIN..=MAX).contains(&words(&text)) && tokens(&text) <= MAX {
            return text;
        }
    }
    // Fallback: the hook cut to fourteen tokens plus a sixteen-word sentence.
    let mut slots = m.slots();
    let hook = if m.lyrics.is_empty() {
        format!("A {} song for {}", m.mood, m.themes[0])
    } else {
        slots.fill("{lyric}").unwrap_or_default()
    };
    join_sentences(&[trim_to(&hook, 14), MEDIUM_FALLBACK.to_string()])
}

fn write_long(m: &Material, rng: &mut ChaCha8Rng) -> String {
    const MIN: usize = 40;
    const MAX: usize = 80;
    let open_voiced = voice_frames(
        m.voice,
        LONG_OPEN_BOLD,
        LONG_OPEN_EDITORIAL,
        LONG_OPEN_CRATE,
    );
    let close_voiced = voice_frames(
        m.voice,
        LONG_CLOSE_BOLD,
        LONG_CLOSE_EDITORIAL,
        LONG_CLOSE_CRATE,
    );
    let lyric_formats: Vec<&str> = m
        .formats
        .iter()
        .map(String::as_str)
        .filter(|f| f.contains("{lyric"))
        .collect();
    for _ in 0..12 {
        let mut slots = m.slots_naming_artist(2);
        let mut sentences: Vec<String> = Vec::new();
        let Some(opener) = pick_voiced(LONG_OPENERS, open_voiced, &mut slots, rng, 24, 0.5) else {
            continue;
        };
        sentences.push(opener);
        // The lyric beat: a story frame, or now and then the template's own format.
        let lyric = if !lyric_formats.is_empty() && rng.random_bool(0.3) {
            pick(&lyric_formats, &mut slots, rng, 18)
        } else {
            None
        };
        if let Some(s) = lyric.or_else(|| pick(LONG_LYRIC, &mut slots, rng, 24)) {
            sentences.push(s);
        }
        let middles = rng.random_range(1..=2);
        let mut middle_pool: Vec<&str> = LONG_MIDDLE.to_vec();
        for _ in 0..middles {
            if let Some(s) = pick(&middle_pool, &mut slots, rng, 24) {
                middle_pool.retain(|f| slots_render_differs(f, &s));
                sentences.push(s);
            }
        }
        // Now and then a guide example fits the story's voice as its last beat.
        let closer = if !m.examples.is_empty() && rng.random_bool(0.25) {
            m.examples.choose(rng).cloned().filter(|e| tokens(e) <= 16)
        } else {
            None
        };
        let closer =
            closer.or_else(|| pick_voiced(LONG_CLOSERS, close_voiced, &mut slots, rng, 24, 0.5));
        let Some(closer) = closer else {
            continue;
        };
        let mut padding: Vec<&str> = LONG_PADDING.to_vec();
        padding.shuffle(rng);
        let mut pad = padding.into_iter();
        while words(&join_sentences(&sentences)) + words(&closer) < MIN {
            let Some(p) = pad.next() else { break };
            if let Some(s) = slots.fill(p) {
                sentences.push(s);
            }
        }
        sentences.push(closer);
        // Too long: drop middle sentences (never the opener or the closer).
        while tokens(&join_sentences(&sentences)) > MAX && sentences.len() > 3 {
            sentences.remove(sentences.len() - 2);
        }
        let text = m.finish(&join_sentences(&sentences));
        if (MIN..=MAX).contains(&words(&text)) && tokens(&text) <= MAX {
            return text;
        }
    }
    // Fallback: the padding sentences (about 60 words), with the hook first when there is one.
    let mut slots = m.slots();
    let mut sentences: Vec<String> = Vec::new();
    if let Some(h) = slots.fill("And right in the middle of it, {lyric}") {
        sentences.push(trim_to(&h, 14));
    }
    for p in LONG_PADDING {
        if words(&join_sentences(&sentences)) >= MIN {
            break;
        }
        sentences.push(slots.fill(p).unwrap_or_default());
    }
    let text = join_sentences(&sentences);
    let text = trim_to(&text, MAX);
    if text.ends_with(['.', '!', '?']) {
        text
    } else {
        format!("{text}.")
    }
}

/// True when a frame is not the one that produced `sentence` (keeps middles distinct).
fn slots_render_differs(frame: &str, sentence: &str) -> bool {
    let fixed: Vec<&str> = frame
        .split(['{', '}'])
        .step_by(2)
        .filter(|s| s.trim().len() > 3)
        .collect();
    !fixed.iter().all(|part| sentence.contains(part.trim()))
}

/// "a" before a vowel sound becomes "an" (frames put moods like "energetic" after "a").
fn fix_articles(text: &str) -> String {
    let toks: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(toks.len());
    for (i, t) in toks.iter().enumerate() {
        let next = toks.get(i + 1).copied().unwrap_or("");
        let vowel = next
            .chars()
            .next()
            .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'))
            && !next.to_lowercase().starts_with("uni")
            && !next.to_lowercase().starts_with("one");
        match *t {
            "a" if vowel => out.push("an".into()),
            "A" if vowel => out.push("An".into()),
            _ => out.push(t.to_string()),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_lyrics_become_sentence_case() {
        assert_eq!(
            sentence_case("Windows Down On An Empty Road"),
            "Windows down on an empty road"
        );
        assert_eq!(
            sentence_case("I Said I'm Flying To NASA Tonight"),
            "I said I'm flying to NASA tonight"
        );
        // Already sentence case, or too short to tell: unchanged.
        assert_eq!(sentence_case("Hold the Light"), "Hold the Light");
        assert_eq!(sentence_case("Blue Hour"), "Blue Hour");
    }
    use std::collections::HashSet;

    const LYRICS: &str = "We let the paper lanterns rise tonight\nEvery little light is a wish we made\nHold my hand and watch the river glow\nThe summer air is soft and slow\nWe let the paper lanterns rise tonight";
    const ARTIST_MD: &str = include_str!("../../fixtures/artists/lumen-vale/context/artist.md");
    const AUDIENCE_MD: &str = include_str!("../../fixtures/artists/lumen-vale/context/audience.md");

    fn guide() -> CaptionGuide {
        CaptionGuide {
            voice: Voice::Soft,
            tone: "intimate, cosy, like a note to a friend".into(),
            rules: vec!["No hashtags".into(), "Quote the lyric".into()],
            formats: vec![
                "{lyric}".into(),
                "{lyric} — {artist}".into(),
                "{line}, {mood} hours".into(),
            ],
            examples: vec![
                "bedroom thoughts, out loud".into(),
                "the song for your window seat".into(),
            ],
        }
    }

    fn ctx<'a>(
        lyrics: &'a str,
        artist: Option<&'a str>,
        audience: Option<&'a str>,
        guide: &'a CaptionGuide,
        mood: &'a str,
    ) -> CaptionContext<'a> {
        CaptionContext {
            clip_lyrics: lyrics,
            artist_name: "Lumen Vale",
            artist_md: artist,
            audience_md: audience,
            guide,
            mood,
        }
    }

    fn guides() -> Vec<CaptionGuide> {
        vec![
            guide(),
            CaptionGuide::default(),
            CaptionGuide {
                voice: Voice::Bold,
                tone: "loud, live, energetic".into(),
                formats: vec!["{lyric}!!! 🔥🔥".into(), "\"{lyric}\" live".into()],
                ..CaptionGuide::default()
            },
            CaptionGuide {
                voice: Voice::Editorial,
                tone: "polished editorial announcement".into(),
                formats: vec![
                    "{artist}: {lyric}. Out now. Listen everywhere. Tell a friend.".into(),
                ],
                examples: vec!["The new single, out now".into()],
                ..CaptionGuide::default()
            },
            CaptionGuide {
                voice: Voice::Crate,
                tone: "crate digger, vinyl collector, lowercase".into(),
                formats: vec!["{theme} on wax".into(), "{unknown} thing".into()],
                ..CaptionGuide::default()
            },
            CaptionGuide {
                formats: vec![
                    "{lyric} and {line} and {lyric} and {line} and {lyric} and {line} and more"
                        .into(),
                ],
                ..CaptionGuide::default()
            },
        ]
    }

    const LYRIC_INPUTS: &[&str] = &[
        LYRICS,
        "",
        "   \n\n ",
        "[Instrumental]",
        "oh oh oh\nyeah yeah",
        "♪ Windows down on an empty road ♪\n“City lights” are fading in the mirror 🚗✨\nYour favorite song is playing on the radio",
        "i keep running running running through the night and i never stop and the city keeps on calling out my name and i cannot sleep until the morning comes around again and again",
        "Love",
        "Don't you know, don't you know... I'm already gone?!",
    ];

    fn check_all(length: CaptionLength, check: impl Fn(&str, &str)) {
        let guides = guides();
        for g in &guides {
            for lyrics in LYRIC_INPUTS {
                for (artist, audience) in [
                    (Some(ARTIST_MD), Some(AUDIENCE_MD)),
                    (None, None),
                    (Some("# X\n\nJust a bio line."), None),
                ] {
                    for mood in ["warm", "energetic", "", "🔥"] {
                        for seed in 0..6 {
                            let c = ctx(lyrics, artist, audience, g, mood);
                            let text = write_caption(&c, length, seed);
                            check(&text, &format!("{length:?} seed {seed} mood {mood:?} lyrics {lyrics:?} guide {:?}", g.tone));
                        }
                    }
                }
            }
        }
    }

    fn no_quotes_or_emoji(text: &str, what: &str) {
        for c in text.chars() {
            assert!(
                !is_quote(c) && !is_pictograph(c),
                "{c:?} in {text:?} ({what})"
            );
            assert!(!matches!(c, '‘' | '’' | '`'), "{c:?} in {text:?} ({what})");
        }
        // Straight apostrophes only inside words.
        let chars: Vec<char> = text.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if *c == '\'' {
                assert!(
                    i > 0
                        && chars[i - 1].is_alphanumeric()
                        && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()),
                    "{text:?}"
                );
            }
        }
        assert_eq!(
            text,
            text.split_whitespace().collect::<Vec<_>>().join(" "),
            "whitespace {what}"
        );
        assert!(
            !text.contains('{') && !text.contains('}'),
            "{text:?} ({what})"
        );
    }

    #[test]
    fn none_is_empty() {
        check_all(CaptionLength::None, |t, w| assert!(t.is_empty(), "{w}"));
    }

    #[test]
    fn short_is_at_most_ten_words() {
        check_all(CaptionLength::Short, |t, w| {
            let n = tokens(t);
            assert!((1..=10).contains(&n), "{n} tokens: {t:?} ({w})");
            no_quotes_or_emoji(t, w);
        });
    }

    #[test]
    fn medium_is_15_to_30_words_in_one_or_two_sentences() {
        check_all(CaptionLength::Medium, |t, w| {
            let (n, all) = (words(t), tokens(t));
            assert!(n >= 15 && all <= 30, "{n}/{all}: {t:?} ({w})");
            let sentences = t.matches(['.', '!', '?']).count();
            assert!(
                (1..=2).contains(&sentences),
                "{sentences} sentences: {t:?} ({w})"
            );
            no_quotes_or_emoji(t, w);
        });
    }

    #[test]
    fn long_is_40_to_80_words() {
        check_all(CaptionLength::Long, |t, w| {
            let (n, all) = (words(t), tokens(t));
            assert!(n >= 40 && all <= 80, "{n}/{all}: {t:?} ({w})");
            assert!(t.matches('.').count() >= 3, "a story has sentences: {t:?}");
            no_quotes_or_emoji(t, w);
        });
    }

    #[test]
    fn odd_inputs_stay_in_range() {
        let long_name = vec!["Name"; 40].join(" ");
        let long_mood = "very. very! very? moody ".repeat(12);
        let weird_md = "```\ncode - not a bullet\n```\n| table | row |\n* **Bold** [link](http://x) ![img](y.png)\n- 1999 and 2000\n- <b>tags</b> and more tags\n1. numbered night drives, long talks\n> quoted dusk skies, open roads";
        let g = guide();
        let lyrics = [
            "🔥🔥🔥",
            "...",
            "a",
            &"la ".repeat(500),
            &"Line of words here\n".repeat(300),
        ];
        for name in ["", "🎤", long_name.as_str(), "Ünïcødé Ärtist"] {
            for mood in ["", long_mood.as_str()] {
                for lyr in lyrics {
                    for seed in 0..3 {
                        let c = CaptionContext {
                            clip_lyrics: lyr,
                            artist_name: name,
                            artist_md: Some(weird_md),
                            audience_md: Some(weird_md),
                            guide: &g,
                            mood,
                        };
                        let what = format!("{name:?} {lyr:?} {seed}");
                        let s = write_caption(&c, CaptionLength::Short, seed);
                        assert!((1..=10).contains(&tokens(&s)), "{s:?} {what}");
                        let m = write_caption(&c, CaptionLength::Medium, seed);
                        assert!(words(&m) >= 15 && tokens(&m) <= 30, "{m:?} {what}");
                        assert!(m.matches(['.', '!', '?']).count() <= 2, "{m:?} {what}");
                        let l = write_caption(&c, CaptionLength::Long, seed);
                        assert!(words(&l) >= 40 && tokens(&l) <= 80, "{l:?} {what}");
                        for t in [&s, &m, &l] {
                            no_quotes_or_emoji(t, &what);
                            assert!(
                                !t.contains("http") && !t.contains("png") && !t.contains('|'),
                                "{t}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let g = guide();
        let c = ctx(LYRICS, Some(ARTIST_MD), Some(AUDIENCE_MD), &g, "dreamy");
        for length in [
            CaptionLength::Short,
            CaptionLength::Medium,
            CaptionLength::Long,
        ] {
            let mut seen = HashSet::new();
            for seed in 0..20 {
                let a = write_caption(&c, length, seed);
                assert_eq!(a, write_caption(&c, length, seed));
                seen.insert(a);
            }
            assert!(seen.len() >= 8, "{length:?}: only {} distinct", seen.len());
        }
    }

    #[test]
    fn captions_use_the_material() {
        let g = guide();
        let c = ctx(LYRICS, Some(ARTIST_MD), Some(AUDIENCE_MD), &g, "dreamy");
        let all: Vec<String> = (0..30)
            .map(|s| write_caption(&c, CaptionLength::Long, s))
            .collect();
        let text = all.join(" ").to_lowercase();
        assert!(text.contains("paper lanterns rise tonight"), "{text}");
        assert!(text.contains("lumen vale"));
        // Themes from artist.md, moments from audience.md (pronouns turned to "you").
        assert!(
            [
                "summer nights",
                "growing up",
                "a lantern in the sky",
                "letting go gently"
            ]
            .iter()
            .any(|t| text.contains(t)),
            "{text}"
        );
        assert!(
            text.contains("your room")
                || text.contains("on headphones")
                || text.contains("drives with friends"),
            "{text}"
        );
        // Nothing from the instruction sections.
        for banned in [
            "emoji",
            "all-caps",
            "spotify",
            "caption",
            "link in bio",
            "year olds",
        ] {
            assert!(!text.contains(banned), "{banned}: {text}");
        }
    }

    #[test]
    fn strips_quotes_and_emoji() {
        assert_eq!(
            clean_text("“Hold   the light” 🔥✨ ‘now’"),
            "Hold the light now"
        );
        assert_eq!(
            clean_text("don’t  stop \"believing\" 👍🏽"),
            "don't stop believing"
        );
        assert_eq!(clean_text("♪ la la ♪ ❤️ 🇬🇧 done"), "la la done");
        assert_eq!(clean_text("'quoted' and `ticks`"), "quoted and ticks");
        assert_eq!(clean_text("Café déjà vu — naïve"), "Café déjà vu — naïve");
        assert_eq!(clean_text("word \" , next"), "word, next");
        let g = CaptionGuide {
            formats: vec!["“{lyric}” 🌙".into()],
            ..CaptionGuide::default()
        };
        let c = ctx("“Blue hour” never lasts 💙", None, None, &g, "dreamy");
        for seed in 0..10 {
            let t = write_caption(&c, CaptionLength::Short, seed);
            no_quotes_or_emoji(&t, "short");
        }
    }

    #[test]
    fn lyric_lines_are_cleaned_and_ranked() {
        let lines = lyric_lines(LYRICS);
        assert_eq!(
            lines[0], "We let the paper lanterns rise tonight",
            "the repeated line leads"
        );
        assert_eq!(lines.len(), 4, "{lines:?}");
        let lines = lyric_lines("[Chorus]\nOh oh\nYeah... (x2)\nStay with me, a little longer!");
        assert_eq!(lines, vec!["Stay with me, a little longer"]);
        let long = vec!["word"; 30].join(" ");
        assert!(lyric_lines(&long).iter().all(|l| tokens(l) <= 12));
    }

    #[test]
    fn markdown_mining() {
        let (mut themes, mut moments) = (Vec::new(), Vec::new());
        mine_markdown(ARTIST_MD, Source::Artist, &mut themes, &mut moments);
        mine_markdown(AUDIENCE_MD, Source::Audience, &mut themes, &mut moments);
        for t in [
            "summer nights",
            "growing up",
            "a summer festival night",
            "the quiet minutes after sunset",
            "dusk skies",
        ] {
            assert!(themes.iter().any(|x| x == t), "{t} missing from {themes:?}");
        }
        assert!(
            moments.iter().any(|m| m == "late at night in your room"),
            "{moments:?}"
        );
        for t in themes.iter().chain(&moments) {
            assert!(tokens(t) >= 2 && tokens(t) <= 9, "{t}");
            assert!(!t.contains("emoji") && !t.contains("slang"), "{t}");
        }
    }

    #[test]
    fn lowercase_tone_and_articles() {
        let g = CaptionGuide {
            tone: "all lowercase, soft".into(),
            ..CaptionGuide::default()
        };
        let c = ctx(LYRICS, None, None, &g, "energetic");
        for seed in 0..10 {
            let t = write_caption(&c, CaptionLength::Medium, seed);
            assert_eq!(t, t.to_lowercase());
            assert!(!t.contains(" a energetic"), "{t}");
        }
        assert_eq!(
            fix_articles("a energetic one, a song"),
            "an energetic one, a song"
        );
    }
}
