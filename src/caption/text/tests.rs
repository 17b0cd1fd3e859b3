//! Unit tests of the caption text engine.

use std::collections::HashSet;

use super::clean::{fix_articles, is_pictograph, is_quote, tokens, words};
use super::data::data;
use super::lyric::{lyric_lines, sentence_case};
use super::mine::{mine_markdown, Source};
use super::*;
use crate::caption::Voice;

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

const LYRICS: &str = "We let the paper lanterns rise tonight\nEvery little light is a wish we made\nHold my hand and watch the river glow\nThe summer air is soft and slow\nWe let the paper lanterns rise tonight";
pub(super) const ARTIST_MD: &str =
    include_str!("../../../fixtures/artists/lumen-vale/context/artist.md");
pub(super) const AUDIENCE_MD: &str =
    include_str!("../../../fixtures/artists/lumen-vale/context/audience.md");

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
            formats: vec!["{artist}: {lyric}. Out now. Listen everywhere. Tell a friend.".into()],
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
                "{lyric} and {line} and {lyric} and {line} and {lyric} and {line} and more".into(),
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
                        let text = write_caption(&c, length, seed, PhraseDeal::default());
                        check(
                            &text,
                            &format!(
                                "{length:?} seed {seed} mood {mood:?} lyrics {lyrics:?} guide {:?}",
                                g.tone
                            ),
                        );
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
                    let s = write_caption(&c, CaptionLength::Short, seed, PhraseDeal::default());
                    assert!((1..=10).contains(&tokens(&s)), "{s:?} {what}");
                    let m = write_caption(&c, CaptionLength::Medium, seed, PhraseDeal::default());
                    assert!(words(&m) >= 15 && tokens(&m) <= 30, "{m:?} {what}");
                    assert!(m.matches(['.', '!', '?']).count() <= 2, "{m:?} {what}");
                    let l = write_caption(&c, CaptionLength::Long, seed, PhraseDeal::default());
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
            let a = write_caption(&c, length, seed, PhraseDeal::default());
            assert_eq!(a, write_caption(&c, length, seed, PhraseDeal::default()));
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
        // Each from its own batch's deal, as the first video of a batch.
        .map(|s| write_caption(&c, CaptionLength::Long, s, PhraseDeal { seed: s, slot: 0 }))
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
        let t = write_caption(&c, CaptionLength::Short, seed, PhraseDeal::default());
        no_quotes_or_emoji(&t, "short");
    }
}

#[test]
fn lyric_lines_are_cleaned_and_ranked() {
    let lines = lyric_lines(LYRICS, &data().words.filler);
    assert_eq!(
        lines[0], "We let the paper lanterns rise tonight",
        "the repeated line leads"
    );
    assert_eq!(lines.len(), 4, "{lines:?}");
    let lines = lyric_lines(
        "[Chorus]\nOh oh\nYeah... (x2)\nStay with me, a little longer!",
        &data().words.filler,
    );
    assert_eq!(lines, vec!["Stay with me, a little longer"]);
    let long = vec!["word"; 30].join(" ");
    // A long line is never cut: it stays whole (and is then too long to quote).
    assert_eq!(lyric_lines(&long, &data().words.filler), vec![long.clone()]);
    let lines = lyric_lines(
        "Hold on. Don't you know, don't you know... I'm already gone?!",
        &data().words.filler,
    );
    assert_eq!(
        lines,
        [
            "Don't you know, don't you know",
            "I'm already gone",
            "Hold on"
        ]
    );
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
        let t = write_caption(&c, CaptionLength::Medium, seed, PhraseDeal::default());
        assert_eq!(t, t.to_lowercase());
        assert!(!t.contains(" a energetic"), "{t}");
    }
    assert_eq!(
        fix_articles("a energetic one, a song"),
        "an energetic one, a song"
    );
}
