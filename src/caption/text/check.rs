//! The caption checker: writes seeded batches of captions for every shipped template and
//! flags what a reader would notice:
//!
//! - a lyric quote cut short: a run of three or more words taken from a lyric line that starts
//!   or ends inside the line (a quote must be a whole line, or a whole sentence of one);
//! - a theme or moment from the notes used twice in one batch (or twice in one caption);
//! - a sentence without a verb outside its lyric quote (a quote may carry a label of at most
//!   four words, such as "side A:" or "— Lumen Vale"), against the verb list in the data;
//! - a lyric quoted in Whisper's Title Case;
//! - a caption outside its length's word range.

use super::clean::{tokens, words};
use super::data::data;
use super::grammar::{has_verb, norm, norm_words, sentences, without_quotes, LABEL_WORDS};
use super::lyric::{remove_bracketed, SENTENCE_MARKS};
use super::mine::phrases;
use super::tests::{ARTIST_MD, AUDIENCE_MD};
use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Flag {
    CutQuote(String),
    RepeatedPhrase(String),
    NoVerb(String),
    TitleCase(String),
    OutOfRange(usize),
}

/// The shortest run of words shared with a lyric line that counts as a quote.
const MIN_RUN: usize = 3;

/// The lyrics' whole phrases: each line, without cues, split at sentence punctuation.
fn lyric_phrases(lyrics: &str) -> Vec<Vec<String>> {
    remove_bracketed(lyrics)
        .lines()
        .flat_map(|line| {
            line.split(SENTENCE_MARKS)
                .map(norm_words)
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

fn starts_upper(token: &str) -> bool {
    token
        .chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(char::is_uppercase)
}

/// Checks one caption against the lyrics of its clip and the themes and moments it may use
/// (a verb inside a theme does not make a sentence).
pub(super) fn check_caption(
    caption: &str,
    lyrics: &str,
    mined: &[String],
    length: CaptionLength,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    // The caption's words, normalised, beside the tokens as written.
    let (written, w): (Vec<&str>, Vec<String>) = caption
        .split_whitespace()
        .map(|t| (t, norm(t)))
        .filter(|(_, n)| !n.is_empty())
        .unzip();
    let phrases = lyric_phrases(lyrics);

    // Whole quotes: a lyric phrase word for word.
    let mut whole: Vec<(usize, usize)> = Vec::new();
    for p in &phrases {
        for s in 0..(w.len() + 1).saturating_sub(p.len()) {
            if w[s..s + p.len()] == p[..] {
                whole.push((s, s + p.len()));
            }
        }
    }
    // Any other run of lyric words long enough to be a quote is a cut one.
    let mut spans = whole.clone();
    for p in &phrases {
        for i in 0..w.len() {
            for j in 0..p.len() {
                if w[i] != p[j] || (i > 0 && j > 0 && w[i - 1] == p[j - 1]) {
                    continue;
                }
                let k = (0..)
                    .take_while(|&k| i + k < w.len() && j + k < p.len() && w[i + k] == p[j + k])
                    .count();
                let is_whole = j == 0 && k == p.len();
                let inside_whole = whole.iter().any(|&(a, b)| a <= i && i + k <= b);
                if k >= MIN_RUN && !is_whole && !inside_whole {
                    flags.push(Flag::CutQuote(written[i..i + k].join(" ")));
                    spans.push((i, i + k));
                }
            }
        }
    }
    // Title Case quotes: every word after the first capitalised (not "I" or acronyms).
    for &(a, b) in &spans {
        let rest: Vec<&&str> = written[a + 1..b]
            .iter()
            .filter(|t| {
                let n = norm(t);
                n != "i"
                    && !n.starts_with("i'")
                    && !(t.chars().filter(|c| c.is_alphabetic()).count() > 1
                        && t.chars().all(|c| !c.is_lowercase()))
            })
            .collect();
        if rest.len() >= 2 && rest.iter().all(|t| starts_upper(t)) {
            flags.push(Flag::TitleCase(written[a..b].join(" ")));
        }
    }
    let verbs = &data().verbs;
    let mined: Vec<Vec<String>> = mined.iter().map(|p| norm_words(p)).collect();
    for s in sentences(caption) {
        let (rest, quoted) = without_quotes(&norm_words(s), &phrases);
        let (own, _) = without_quotes(&rest, &mined);
        if !(has_verb(&own, verbs) || (quoted && rest.len() <= LABEL_WORDS)) {
            flags.push(Flag::NoVerb(s.to_string()));
        }
    }
    let in_range = match length {
        CaptionLength::None => caption.is_empty(),
        CaptionLength::Short => (1..=10).contains(&tokens(caption)),
        CaptionLength::Medium => words(caption) >= 15 && tokens(caption) <= 30,
        CaptionLength::Long => words(caption) >= 40 && tokens(caption) <= 80,
    };
    if !in_range {
        flags.push(Flag::OutOfRange(words(caption)));
    }
    flags
}

/// Flags the batch's phrases (themes and moments) that its captions use more than once in
/// all, outside their lyric quotes. `captions` are (caption, the clip's lyrics).
pub(super) fn check_batch(captions: &[(String, &str)], phrases: &[String]) -> Vec<Flag> {
    let texts: Vec<String> = captions
        .iter()
        .map(|(c, lyrics)| {
            let (rest, _) = without_quotes(&norm_words(c), &lyric_phrases(lyrics));
            format!(" {} ", rest.join(" "))
        })
        .collect();
    phrases
        .iter()
        .filter(|p| {
            let key = format!(" {} ", norm_words(p).join(" "));
            texts
                .iter()
                .map(|t| t.matches(key.as_str()).count())
                .sum::<usize>()
                > 1
        })
        .map(|p| Flag::RepeatedPhrase(p.clone()))
        .collect()
}

const TEMPLATES: [&str; 5] = [
    include_str!("../../../assets/templates/album-record-store/template.json"),
    include_str!("../../../assets/templates/artist-caption-bedroom/template.json"),
    include_str!("../../../assets/templates/artist-caption-outside/template.json"),
    include_str!("../../../assets/templates/artist-caption-stage/template.json"),
    include_str!("../../../assets/templates/artist-release-editorial/template.json"),
];

/// A shipped template's id, caption guide and mood names.
fn template(text: &str) -> (String, CaptionGuide, Vec<String>) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let guide: CaptionGuide = serde_json::from_value(v["caption_guide"].clone()).unwrap();
    let moods = v["moods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    (v["id"].as_str().unwrap().to_string(), guide, moods)
}

/// Lyric sets like the clips of a batch: a chorus, Title Case lines, lines too long to quote,
/// sentences inside lines, instrumentals and filler.
const LYRIC_SETS: [&str; 9] = [
    "We let the paper lanterns rise tonight\nEvery little light is a wish we made\nHold my hand and watch the river glow\nThe summer air is soft and slow\nWe let the paper lanterns rise tonight",
    "Windows Down On An Empty Road\nCity Lights Are Fading In The Mirror\nYour Favorite Song Is Playing On The Radio",
    "i keep running running running through the night and i never stop and the city keeps on calling out my name and i cannot sleep until the morning comes around again and again\nHold on to me",
    "",
    "Don't you know, don't you know... I'm already gone?!\nStay with me; the night is young\n[Chorus]\nStay with me (x2)",
    "We were dancing in the kitchen with the radio on and the summer rain outside the open door\nNobody told us that the summer ends\nNobody told us that the summer ends",
    "[Instrumental]",
    "oh oh oh\nyeah yeah",
    "I Said I'm Flying To NASA Tonight\nBlue hour never lasts, it slips away before you know it, every single time we try to hold it",
];

/// Batch `b` of 10 videos: caption seeds `10 b .. 10 b + 10`, one deal per batch.
fn batch(
    guide: &CaptionGuide,
    moods: &[String],
    length: CaptionLength,
    b: usize,
) -> (Vec<(String, &'static str)>, Vec<String>) {
    let notes = b % 4 != 3;
    let (artist_md, audience_md) = if notes {
        (Some(ARTIST_MD), Some(AUDIENCE_MD))
    } else {
        (None, None)
    };
    let captions = (0..10)
        .map(|v| {
            let seed = (b * 10 + v) as u64;
            let lyrics = LYRIC_SETS[(b * 7 + v) % LYRIC_SETS.len()];
            let ctx = CaptionContext {
                clip_lyrics: lyrics,
                artist_name: "Lumen Vale",
                artist_md,
                audience_md,
                guide,
                mood: &moods[v % moods.len()],
            };
            let deal = PhraseDeal {
                seed: 1000 + b as u64,
                slot: v,
            };
            (write_caption(&ctx, length, seed, deal), lyrics)
        })
        .collect();
    let (themes, moments) = phrases(artist_md, audience_md);
    (captions, themes.into_iter().chain(moments).collect())
}

const LENGTHS: [CaptionLength; 3] = [
    CaptionLength::Short,
    CaptionLength::Medium,
    CaptionLength::Long,
];

#[test]
fn no_flags_over_200_seeded_captions_of_each_length() {
    let mut report = Vec::new();
    let (mut count, mut quoted, mut mined) = (0, 0, 0);
    for text in TEMPLATES {
        let (id, guide, moods) = template(text);
        for length in LENGTHS {
            for b in 0..20 {
                let (captions, phrases) = batch(&guide, &moods, length, b);
                for (c, lyrics) in &captions {
                    count += 1;
                    let lower = c.to_lowercase();
                    quoted += usize::from(
                        lyric_phrases(lyrics)
                            .iter()
                            .any(|p| p.len() >= 3 && lower.contains(&p.join(" "))),
                    );
                    mined += usize::from(phrases.iter().any(|p| lower.contains(&p.to_lowercase())));
                    // No word twice in a row inside a sentence ("a a").
                    for s in sentences(c) {
                        let w = norm_words(s);
                        if let Some(pair) = w.windows(2).find(|p| p[0] == p[1]) {
                            report.push(format!("{id} {length} batch {b}: {pair:?} in {c:?}"));
                        }
                    }
                    for f in check_caption(c, lyrics, &phrases, length) {
                        report.push(format!("{id} {length} batch {b}: {f:?} in {c:?}"));
                    }
                }
                for f in check_batch(&captions, &phrases) {
                    report.push(format!("{id} {length} batch {b}: {f:?}"));
                }
            }
        }
    }
    assert_eq!(count, 5 * 3 * 200);
    // Not vacuous: many captions quote a lyric and many use a phrase from the notes.
    assert!(quoted > count / 4, "{quoted} of {count} quote a lyric");
    assert!(
        mined > count / 4,
        "{mined} of {count} use a theme or moment"
    );
    assert!(
        report.is_empty(),
        "{} flags:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// The flags of a caption, leaving out its length.
fn content_flags(caption: &str, lyrics: &str) -> Vec<Flag> {
    let mined = ["summer nights".to_string(), "letting go gently".to_string()];
    let mut flags = check_caption(caption, lyrics, &mined, CaptionLength::Short);
    flags.retain(|f| !matches!(f, Flag::OutOfRange(_)));
    flags
}

const LANTERNS: &str = "We let the paper lanterns rise tonight\nHold my hand";

#[test]
fn flags_a_cut_quote() {
    assert_eq!(
        content_flags("We let the paper lanterns rise", LANTERNS),
        [Flag::CutQuote("We let the paper lanterns rise".into())]
    );
    let f = content_flags(
        "Then the line arrives: paper lanterns rise tonight.",
        LANTERNS,
    );
    assert!(
        matches!(&f[..], [Flag::CutQuote(q)] if q == "paper lanterns rise tonight."),
        "{f:?}"
    );
    // Whole lines pass.
    for whole in [
        "We let the paper lanterns rise tonight",
        "Then the line arrives: we let the paper lanterns rise tonight.",
    ] {
        assert_eq!(content_flags(whole, LANTERNS), [], "{whole}");
    }
    // A whole sentence of a line passes too.
    let lyrics = "Stay with me; the night is young";
    assert_eq!(content_flags("The night is young", lyrics), []);
}

#[test]
fn flags_a_phrase_used_twice_in_a_batch() {
    let phrases = vec!["summer nights".to_string(), "late at night".to_string()];
    let batch = vec![
        ("Made for summer nights.".to_string(), ""),
        ("Play it late at night.".to_string(), ""),
        ("This one is for summer nights.".to_string(), ""),
    ];
    assert_eq!(
        check_batch(&batch, &phrases),
        [Flag::RepeatedPhrase("summer nights".into())]
    );
    let once = vec![(
        "It sounds like summer nights, twice: summer nights.".to_string(),
        "",
    )];
    assert_eq!(check_batch(&once, &phrases).len(), 1);
    // Inside a lyric quote it does not count.
    let quoted = vec![
        ("Made for summer nights.".to_string(), ""),
        (
            "Summer nights are long.".to_string(),
            "Summer nights are long",
        ),
    ];
    assert_eq!(check_batch(&quoted, &phrases), []);
}

#[test]
fn flags_a_sentence_without_a_verb() {
    let f = content_flags("Just the music and summer nights. Play it loud.", "");
    assert_eq!(f, [Flag::NoVerb("Just the music and summer nights".into())]);
    // A lyric alone or with a short label passes; a long verbless tail does not.
    assert_eq!(content_flags("Side A: hold my hand", LANTERNS), []);
    // A verb inside a theme does not make a sentence.
    let f = content_flags("Lumen Vale, on letting go gently", "");
    assert_eq!(f, [Flag::NoVerb("Lumen Vale, on letting go gently".into())]);
    let f = content_flags("Hold my hand, somewhere out on the coast tonight", LANTERNS);
    assert!(matches!(&f[..], [Flag::NoVerb(_)]), "{f:?}");
}

#[test]
fn flags_title_case_lyrics() {
    let lyrics = "Windows Down On An Empty Road";
    let f = content_flags("Windows Down On An Empty Road", lyrics);
    assert_eq!(f, [Flag::TitleCase("Windows Down On An Empty Road".into())]);
    assert_eq!(content_flags("Windows down on an empty road", lyrics), []);
    let nasa = "I Said I'm Flying To NASA Tonight";
    assert_eq!(content_flags("I said I'm flying to NASA tonight", nasa), []);
}

#[test]
fn flags_a_caption_out_of_range() {
    let f = check_caption("Play it loud.", "", &[], CaptionLength::Long);
    assert_eq!(f, [Flag::OutOfRange(3)]);
}

#[test]
fn every_voice_is_declared_by_a_shipped_template_and_sounds_its_own() {
    let mut by_voice = std::collections::HashMap::new();
    for text in TEMPLATES {
        let (_, guide, moods) = template(text);
        let (captions, _) = batch(&guide, &moods, CaptionLength::Long, 0);
        let openers: std::collections::HashSet<String> = captions
            .iter()
            .filter_map(|(c, _)| sentences(c).first().map(|s| s.to_string()))
            .collect();
        by_voice.insert(guide.voice, openers);
    }
    assert_eq!(
        by_voice.len(),
        4,
        "every voice is used by a shipped template"
    );
    // Each voice opens some story with a sentence of its own.
    for (voice, openers) in &by_voice {
        let others: std::collections::HashSet<&String> = by_voice
            .iter()
            .filter(|(v, _)| *v != voice)
            .flat_map(|(_, o)| o)
            .collect();
        assert!(openers.iter().any(|o| !others.contains(o)), "{voice:?}");
    }
}
