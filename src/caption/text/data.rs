//! The caption data: sentence frames per voice and shared word lists, in JSON files under
//! `assets/captions/` that are embedded in the binary, loaded once and checked when loaded.
//!
//! - `words.json`: the verb list of the grammar check, filler words, the generic themes and
//!   moments used when the notes give none, and the word lists that steer mining the notes.
//! - `frames.json`: frames every voice uses, including the fallbacks (frames without
//!   placeholders that always fit their length).
//! - `voices/<voice>.json`: each voice's own frames, preferred over the shared ones.
//!
//! A frame is a sentence with `{placeholder}`s: `{lyric}` (the clip's best line), `{line}` (a
//! second line), `{artist}`, `{theme}`, `{moment}` and `{mood}`.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::grammar::{has_verb, norm_words, LABEL_WORDS};
use crate::caption::Voice;

/// Placeholders a frame may use.
pub(super) const PLACEHOLDERS: [&str; 6] = ["lyric", "line", "artist", "theme", "moment", "mood"];

/// A caption data file that does not parse or does not pass the checks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {field}: {message}")]
pub struct CaptionDataError {
    /// The file, e.g. `assets/captions/voices/bold.json`.
    pub file: String,
    /// The field at fault, e.g. `short[2]`; empty when the file itself does not parse.
    pub field: String,
    pub message: String,
}

/// Shared word lists (`words.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Words {
    /// Verbs for the grammar check (base and irregular forms; regular ones are derived).
    pub verbs: Vec<String>,
    /// Sung syllables that do not make a lyric line on their own.
    pub filler: Vec<String>,
    pub generic_themes: Vec<String>,
    pub generic_moments: Vec<String>,
    /// Note sections with these in their heading are skipped.
    pub skip_headings: Vec<String>,
    /// Note sections that only give "a song about X" phrases.
    pub about_headings: Vec<String>,
    /// Note sections about what listeners like: themes.
    pub like_headings: Vec<String>,
    /// Words that mark a fragment as talk about the music business or the notes.
    pub meta_words: Vec<String>,
    /// A fragment starting with one of these is an instruction, not a phrase.
    pub bad_first_words: Vec<String>,
    /// Fragments with these are clauses rather than phrases.
    pub clause_words: Vec<String>,
    /// First words that make a fragment a listening moment.
    pub moment_words: Vec<String>,
    pub leading_joiners: Vec<String>,
}

/// Sentence frames by role (`frames.json` and each `voices/<voice>.json`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Frames {
    /// A whole short caption, at most ten words.
    pub short: Vec<String>,
    /// The lyric sentence of a medium caption.
    pub medium_hook: Vec<String>,
    /// The sentence that gives a medium caption's lyric its context.
    pub medium_context: Vec<String>,
    /// The first sentence of a medium caption without lyrics.
    pub medium_no_lyric: Vec<String>,
    /// Clauses that lengthen a medium sentence that came out short.
    pub extensions: Vec<String>,
    pub long_open: Vec<String>,
    /// The story sentence that quotes the lyric.
    pub long_lyric: Vec<String>,
    pub long_middle: Vec<String>,
    pub long_close: Vec<String>,
    /// Sentences that lengthen a story that came out short.
    pub long_padding: Vec<String>,
    /// Short captions that always fit (no placeholders).
    pub short_fallback: Vec<String>,
    /// Sentences of 15 or 16 words that make a medium caption alone (no placeholders).
    pub medium_fallback: Vec<String>,
    /// Sentences of a story that always fits (no placeholders).
    pub long_fallback: Vec<String>,
}

/// The roles of [`Frames`], by field name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Short,
    MediumHook,
    MediumContext,
    MediumNoLyric,
    Extensions,
    LongOpen,
    LongLyric,
    LongMiddle,
    LongClose,
    LongPadding,
    ShortFallback,
    MediumFallback,
    LongFallback,
}

impl Role {
    const ALL: [Role; 13] = [
        Role::Short,
        Role::MediumHook,
        Role::MediumContext,
        Role::MediumNoLyric,
        Role::Extensions,
        Role::LongOpen,
        Role::LongLyric,
        Role::LongMiddle,
        Role::LongClose,
        Role::LongPadding,
        Role::ShortFallback,
        Role::MediumFallback,
        Role::LongFallback,
    ];

    fn name(self) -> &'static str {
        match self {
            Role::Short => "short",
            Role::MediumHook => "medium_hook",
            Role::MediumContext => "medium_context",
            Role::MediumNoLyric => "medium_no_lyric",
            Role::Extensions => "extensions",
            Role::LongOpen => "long_open",
            Role::LongLyric => "long_lyric",
            Role::LongMiddle => "long_middle",
            Role::LongClose => "long_close",
            Role::LongPadding => "long_padding",
            Role::ShortFallback => "short_fallback",
            Role::MediumFallback => "medium_fallback",
            Role::LongFallback => "long_fallback",
        }
    }

    fn is_fallback(self) -> bool {
        matches!(
            self,
            Role::ShortFallback | Role::MediumFallback | Role::LongFallback
        )
    }

    /// Roles a voice file must fill: the ones its captions lean on.
    fn voiced(self) -> bool {
        matches!(
            self,
            Role::Short | Role::MediumContext | Role::LongOpen | Role::LongClose
        )
    }
}

impl Frames {
    pub(super) fn get(&self, role: Role) -> &[String] {
        match role {
            Role::Short => &self.short,
            Role::MediumHook => &self.medium_hook,
            Role::MediumContext => &self.medium_context,
            Role::MediumNoLyric => &self.medium_no_lyric,
            Role::Extensions => &self.extensions,
            Role::LongOpen => &self.long_open,
            Role::LongLyric => &self.long_lyric,
            Role::LongMiddle => &self.long_middle,
            Role::LongClose => &self.long_close,
            Role::LongPadding => &self.long_padding,
            Role::ShortFallback => &self.short_fallback,
            Role::MediumFallback => &self.medium_fallback,
            Role::LongFallback => &self.long_fallback,
        }
    }
}

/// All caption data, checked.
#[derive(Debug)]
pub(super) struct CaptionData {
    pub words: Words,
    /// `words.verbs` as a set.
    pub verbs: HashSet<String>,
    pub shared: Frames,
    /// In the order of [`Voice::ALL`].
    voices: Vec<Frames>,
}

impl CaptionData {
    pub(super) fn voice(&self, voice: Voice) -> &Frames {
        let i = Voice::ALL.iter().position(|v| *v == voice).unwrap_or(0);
        &self.voices[i]
    }

    /// The shared frames of a role and the voice's own.
    pub(super) fn frames(&self, role: Role, voice: Voice) -> (&[String], &[String]) {
        (self.shared.get(role), self.voice(voice).get(role))
    }
}

const WORDS_FILE: &str = "assets/captions/words.json";
const FRAMES_FILE: &str = "assets/captions/frames.json";

/// The embedded files: (path, text).
pub(super) fn embedded() -> [(&'static str, &'static str); 6] {
    [
        (
            WORDS_FILE,
            include_str!("../../../assets/captions/words.json"),
        ),
        (
            FRAMES_FILE,
            include_str!("../../../assets/captions/frames.json"),
        ),
        (
            "assets/captions/voices/soft.json",
            include_str!("../../../assets/captions/voices/soft.json"),
        ),
        (
            "assets/captions/voices/bold.json",
            include_str!("../../../assets/captions/voices/bold.json"),
        ),
        (
            "assets/captions/voices/editorial.json",
            include_str!("../../../assets/captions/voices/editorial.json"),
        ),
        (
            "assets/captions/voices/crate.json",
            include_str!("../../../assets/captions/voices/crate.json"),
        ),
    ]
}

static DATA: LazyLock<CaptionData> = LazyLock::new(|| match load(&embedded()) {
    Ok(d) => d,
    // The embedded data is checked by a unit test; this only fires on a broken build.
    Err(e) => panic!("embedded caption data: {e}"),
});

/// The embedded caption data, loaded and checked on first use.
pub(super) fn data() -> &'static CaptionData {
    &DATA
}

/// Loads and checks the data files: words, shared frames, then one file per voice in the
/// order of [`Voice::ALL`].
pub(super) fn load(files: &[(&str, &str)]) -> Result<CaptionData, CaptionDataError> {
    let [(words_file, words_text), (frames_file, frames_text), voice_files @ ..] = files else {
        return Err(error("assets/captions", "", "missing data files"));
    };
    if voice_files.len() != Voice::ALL.len() {
        return Err(error("assets/captions/voices", "", "one file per voice"));
    }
    let words: Words = parse(words_file, words_text)?;
    check_words(words_file, &words)?;
    let verbs: HashSet<String> = words.verbs.iter().cloned().collect();
    let shared: Frames = parse(frames_file, frames_text)?;
    check_frames(frames_file, &shared, &verbs, false)?;
    let mut voices = Vec::new();
    for (file, text) in voice_files {
        let frames: Frames = parse(file, text)?;
        check_frames(file, &frames, &verbs, true)?;
        voices.push(frames);
    }
    Ok(CaptionData {
        words,
        verbs,
        shared,
        voices,
    })
}

fn error(file: &str, field: impl Into<String>, message: impl Into<String>) -> CaptionDataError {
    CaptionDataError {
        file: file.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

/// Parses a file whose fields are all lists of strings, naming the field at fault.
fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, CaptionDataError> {
    let value: Value = serde_json::from_str(text).map_err(|e| error(file, "", e.to_string()))?;
    T::deserialize(&value).map_err(|e| {
        let message = e.to_string();
        // A value of the wrong type: name the field and the item.
        let bad_value = value.as_object().and_then(|obj| {
            obj.iter().find_map(|(key, v)| match v.as_array() {
                None => Some(key.clone()),
                Some(items) => items
                    .iter()
                    .position(|i| !i.is_string())
                    .map(|i| format!("{key}[{i}]")),
            })
        });
        // Unknown or missing fields: serde names them between backticks.
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field"))
            .map(str::to_string);
        error(file, bad_value.or(named).unwrap_or_default(), message)
    })
}

fn check_words(file: &str, words: &Words) -> Result<(), CaptionDataError> {
    let lists: [(&str, &[String]); 12] = [
        ("verbs", &words.verbs),
        ("filler", &words.filler),
        ("generic_themes", &words.generic_themes),
        ("generic_moments", &words.generic_moments),
        ("skip_headings", &words.skip_headings),
        ("about_headings", &words.about_headings),
        ("like_headings", &words.like_headings),
        ("meta_words", &words.meta_words),
        ("bad_first_words", &words.bad_first_words),
        ("clause_words", &words.clause_words),
        ("moment_words", &words.moment_words),
        ("leading_joiners", &words.leading_joiners),
    ];
    for (name, list) in lists {
        if list.is_empty() {
            return Err(error(file, name, "must not be empty"));
        }
        for (i, w) in list.iter().enumerate() {
            if w.trim().is_empty() || *w != w.to_lowercase() || w.contains(['{', '}']) {
                return Err(error(
                    file,
                    format!("{name}[{i}]"),
                    format!("{w:?}: words are lower case, without placeholders"),
                ));
            }
        }
    }
    for (name, list) in [
        ("generic_themes", &words.generic_themes),
        ("generic_moments", &words.generic_moments),
    ] {
        if let Some(i) = list
            .iter()
            .position(|p| !(2..=9).contains(&p.split_whitespace().count()))
        {
            return Err(error(
                file,
                format!("{name}[{i}]"),
                "phrases have 2 to 9 words",
            ));
        }
    }
    Ok(())
}

/// Why a caption frame is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum FrameError {
    #[error("unclosed {{")]
    Unclosed,
    #[error("stray }}")]
    Stray,
    #[error("empty frame")]
    Empty,
    #[error("unknown placeholder {{{name}}} (known: {known})", known = PLACEHOLDERS.join(", "))]
    UnknownPlaceholder { name: String },
    #[error("{frame:?}: a fallback has no placeholders")]
    FallbackWithPlaceholders { frame: String },
    #[error("{frame:?}: {words} words, expected {lo} to {hi}")]
    WordCount {
        frame: String,
        words: usize,
        lo: usize,
        hi: usize,
    },
    #[error("{frame:?}: no verb outside the lyric")]
    NoVerb { frame: String },
}

/// The `{names}` in a frame; an error for an unclosed or stray brace.
pub(super) fn placeholders(frame: &str) -> Result<Vec<&str>, FrameError> {
    let mut names = Vec::new();
    let mut rest = frame;
    loop {
        match (rest.find('{'), rest.find('}')) {
            (None, None) => return Ok(names),
            (Some(open), Some(close)) if open < close => {
                let name = &rest[open + 1..close];
                if name.contains('{') {
                    return Err(FrameError::Unclosed);
                }
                names.push(name);
                rest = &rest[close + 1..];
            }
            (Some(_), _) => return Err(FrameError::Unclosed),
            (None, Some(_)) => return Err(FrameError::Stray),
        }
    }
}

/// The frame's own words, with its placeholders left out.
fn fixed_words(frame: &str) -> Vec<String> {
    let mut text = String::new();
    let mut depth = 0;
    for c in frame.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => text.push(' '),
        }
    }
    norm_words(&text)
}

fn check_frames(
    file: &str,
    frames: &Frames,
    verbs: &HashSet<String>,
    voice: bool,
) -> Result<(), CaptionDataError> {
    for role in Role::ALL {
        let list = frames.get(role);
        let name = role.name();
        let needed = if voice { role.voiced() } else { true };
        if needed && list.is_empty() {
            return Err(error(file, name, "must not be empty"));
        }
        if voice && role.is_fallback() && !list.is_empty() {
            return Err(error(file, name, "fallbacks belong in frames.json"));
        }
        for (i, frame) in list.iter().enumerate() {
            let field = format!("{name}[{i}]");
            check_frame(frame, role, verbs).map_err(|e| error(file, &field, e.to_string()))?;
        }
    }
    if !voice {
        let total: usize = frames
            .long_fallback
            .iter()
            .map(|f| f.split_whitespace().count())
            .sum();
        if total < 40 {
            return Err(error(
                file,
                "long_fallback",
                "must add up to at least 40 words",
            ));
        }
    }
    Ok(())
}

fn check_frame(frame: &str, role: Role, verbs: &HashSet<String>) -> Result<(), FrameError> {
    let names = placeholders(frame)?;
    if frame.trim().is_empty() {
        return Err(FrameError::Empty);
    }
    if let Some(n) = names.iter().find(|n| !PLACEHOLDERS.contains(n)) {
        return Err(FrameError::UnknownPlaceholder {
            name: n.to_string(),
        });
    }
    let frame_text = || frame.to_string();
    if role.is_fallback() && !names.is_empty() {
        return Err(FrameError::FallbackWithPlaceholders {
            frame: frame_text(),
        });
    }
    let words = frame.split_whitespace().count();
    let (lo, hi) = match role {
        Role::ShortFallback => (2, 10),
        Role::MediumFallback => (15, 16),
        Role::LongFallback => (3, 20),
        Role::Short => (1, 10),
        _ => (1, 30),
    };
    if !(lo..=hi).contains(&words) {
        return Err(FrameError::WordCount {
            frame: frame_text(),
            words,
            lo,
            hi,
        });
    }
    if !reads_as_sentence(frame, verbs) {
        return Err(FrameError::NoVerb {
            frame: frame_text(),
        });
    }
    Ok(())
}

/// The grammar rule for a frame (placeholders by their canonical names): its own words have a
/// verb (a verb inside a theme does not count), or it quotes a lyric with a label of at most
/// four words around it ("side A: {lyric}", "{lyric} — {artist}").
pub(super) fn reads_as_sentence(frame: &str, verbs: &HashSet<String>) -> bool {
    let Ok(names) = placeholders(frame) else {
        return false;
    };
    let fixed = fixed_words(frame);
    let quotes = names.iter().any(|n| matches!(*n, "lyric" | "line"));
    let label = fixed.len()
        + 2 * names.iter().filter(|n| **n == "artist").count()
        + 9 * names
            .iter()
            .filter(|n| matches!(**n, "theme" | "moment" | "mood"))
            .count();
    has_verb(&fixed, verbs) || (quotes && label <= LABEL_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_loads_and_passes_its_checks() {
        let d = match load(&embedded()) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        for v in Voice::ALL {
            assert!(!d.voice(v).short.is_empty(), "{v:?}");
        }
        assert!(d.verbs.contains("play"));
        assert!(!data().shared.long_fallback.is_empty());
        assert_eq!(super::super::check_data(), Ok(()));
    }

    /// The embedded files with one of them replaced.
    fn with(path: &str, text: &str) -> Result<CaptionData, CaptionDataError> {
        let mut files = embedded().map(|(p, t)| (p, t.to_string()));
        files.iter_mut().find(|(p, _)| *p == path).unwrap().1 = text.to_string();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        load(&files)
    }

    fn edited(path: &str, edit: impl Fn(&mut Value)) -> CaptionDataError {
        let text = embedded().iter().find(|(p, _)| *p == path).unwrap().1;
        let mut value: Value = serde_json::from_str(text).unwrap();
        edit(&mut value);
        with(path, &value.to_string()).unwrap_err()
    }

    const BOLD: &str = "assets/captions/voices/bold.json";

    #[test]
    fn broken_data_names_the_file_and_field() {
        let e = edited(BOLD, |v| {
            v["short"][1] = Value::from("turn it up for {moood}")
        });
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            (BOLD, "short[1]"),
            "{e}"
        );
        assert!(e.message.contains("unknown placeholder {moood}"), "{e}");

        let e = edited(BOLD, |v| v["long_close"] = Value::Array(vec![]));
        assert_eq!(e.field, "long_close", "{e}");
        assert!(e.to_string().contains("must not be empty"), "{e}");

        let e = edited(FRAMES_FILE, |v| {
            v["medium_context"][0] = Value::from("Just the music and {theme}")
        });
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            (FRAMES_FILE, "medium_context[0]")
        );
        assert!(e.message.contains("no verb"), "{e}");

        let e = edited(FRAMES_FILE, |v| {
            v["medium_fallback"][0] =
                Value::from("Play {artist} until the last of the light goes and the night is long")
        });
        assert!(e.message.contains("no placeholders"), "{e}");

        let e = edited(FRAMES_FILE, |v| {
            v["short"][0] = Value::from("play it {moment")
        });
        assert!(e.message.contains("unclosed"), "{e}");

        let e = edited(FRAMES_FILE, |v| v["shrot"] = Value::Array(vec![]));
        assert_eq!(e.field, "shrot", "{e}");
        assert!(e.message.contains("unknown field"), "{e}");

        let e = edited(WORDS_FILE, |v| v["verbs"][3] = Value::from(7));
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            (WORDS_FILE, "verbs[3]"),
            "{e}"
        );

        let e = edited(WORDS_FILE, |v| {
            v.as_object_mut().unwrap().remove("filler");
        });
        assert_eq!(e.field, "filler", "{e}");
        assert!(e.message.contains("missing field"), "{e}");

        let e = edited(WORDS_FILE, |v| v["generic_themes"] = Value::Array(vec![]));
        assert_eq!(e.field, "generic_themes", "{e}");

        let e = with(BOLD, "{ \"short\": [").unwrap_err();
        assert_eq!((e.file.as_str(), e.field.as_str()), (BOLD, ""), "{e}");
    }
}
