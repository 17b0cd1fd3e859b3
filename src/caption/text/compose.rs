//! Assembling short, medium and long captions from frames. Each length is tried from random
//! choices a few times until it lands in its word range, with a fallback that always does.
//! Every sentence is checked with the grammar rule before it is used, so template formats and
//! examples that do not read as sentences are passed over. Nothing is ever trimmed: a lyric
//! that does not fit is not quoted.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::clean::{tokens, trim_punct, upper_first, words};
use super::data::{data, Role};
use super::grammar::{norm_words, sentence_ok};
use super::material::{dealt_fixed, is_fixed, Material, Slots};

fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
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

/// True when a sentence opens like one already in the caption ("Play it…", "Play it…").
fn echoes(sentences: &[String], candidate: &str) -> bool {
    let head = |s: &str| norm_words(s).into_iter().take(2).collect::<Vec<_>>();
    let h = head(candidate);
    sentences.iter().any(|s| head(s) == h)
}

/// Picks a fillable frame at random that reads as a sentence, within a token budget.
fn pick(
    frames: &[&str],
    slots: &mut Slots,
    rng: &mut ChaCha8Rng,
    max_tokens: usize,
) -> Option<String> {
    let quotes = &slots.material().quotes;
    let verbs = &data().verbs;
    let mut order: Vec<&str> = frames.to_vec();
    order.shuffle(rng);
    // Where a fixed sentence comes up first, the one dealt to this video's slot takes its
    // place, so the videos of a batch do not all say the same thing.
    if let (Some(first), Some(dealt)) = (
        order.iter().position(|f| is_fixed(f)),
        dealt_fixed(frames, slots.material().deal),
    ) {
        if let Some(at) = order.iter().position(|f| *f == dealt) {
            order.swap(first, at);
        }
    }
    order.into_iter().find_map(|f| {
        // Try on a copy so a rejected frame does not use up themes.
        let mut trial = slots.clone();
        let filled = trial.fill(f).filter(|s| {
            !s.is_empty() && tokens(s) <= max_tokens && sentence_ok(s, quotes, verbs)
        })?;
        *slots = trial;
        Some(filled)
    })
}

/// Like [`pick`], but with probability `p` the template voice's own frames are tried first, so
/// templates sound different from each other and not only from the shared pool.
fn pick_voiced(
    role: Role,
    m: &Material,
    slots: &mut Slots,
    rng: &mut ChaCha8Rng,
    max_tokens: usize,
    p: f64,
) -> Option<String> {
    let (shared, voiced) = data().frames(role, m.voice);
    let voiced: Vec<&str> = voiced.iter().map(String::as_str).collect();
    if !voiced.is_empty() && rng.random_bool(p) {
        if let Some(s) = pick(&voiced, slots, rng, max_tokens) {
            return Some(s);
        }
    }
    let all: Vec<&str> = shared
        .iter()
        .map(String::as_str)
        .chain(voiced.iter().copied())
        .collect();
    pick(&all, slots, rng, max_tokens)
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

fn fallback(role: Role, rng: &mut ChaCha8Rng) -> String {
    data()
        .shared
        .get(role)
        .choose(rng)
        .cloned()
        .unwrap_or_default()
}

pub(super) fn write_short(m: &Material, rng: &mut ChaCha8Rng) -> String {
    const MAX: usize = 10;
    let verbs = &data().verbs;
    let fits = |s: &String| tokens(s) <= MAX && words(s) >= 2 && sentence_ok(s, &m.quotes, verbs);
    // (frame, weight): the template's formats, the frames and the examples (more often when
    // there is no lyric to quote).
    let (shared, voiced) = data().frames(Role::Short, m.voice);
    let mut frames: Vec<(&str, u32)> = Vec::new();
    for f in &m.formats {
        frames.push((f, if f.contains("{lyric") { 4 } else { 2 }));
    }
    for f in shared.iter().chain(voiced) {
        let lyric = f.contains("{lyric") || f.contains("{line");
        frames.push((f, if lyric { 3 } else { 1 }));
    }
    let example_weight = if m.lyrics.is_empty() { 2 } else { 1 };
    frames.extend(m.examples.iter().map(|e| (e.as_str(), example_weight)));
    // Each candidate on fresh slots: any of them may take the caption's theme.
    let candidates: Vec<(&str, String, u32)> = frames
        .iter()
        .filter_map(|&(f, w)| m.slots().fill(f).filter(fits).map(|s| (f, s, w)))
        .collect();
    let pool: Vec<(String, u32)> = candidates.iter().map(|(_, s, w)| (s.clone(), *w)).collect();
    let chosen = weighted(&pool, rng).map(|s| {
        // A fixed caption is the one dealt to this video's slot, so that the videos of a
        // batch do not repeat each other.
        let frame = candidates.iter().find(|(_, c, _)| *c == s).map(|c| c.0);
        if !frame.is_some_and(is_fixed) {
            return s;
        }
        // The fixed frames are the same for every video of the batch.
        let all: Vec<&str> = candidates.iter().map(|(f, _, _)| *f).collect();
        dealt_fixed(&all, m.deal)
            .and_then(|f| candidates.iter().find(|(c, _, _)| *c == f))
            .map_or(s, |(_, text, _)| text.clone())
    });
    let chosen = chosen.unwrap_or_else(|| fallback(Role::ShortFallback, rng));
    m.finish(&upper_first(trim_punct(&chosen)))
}

pub(super) fn write_medium(m: &Material, rng: &mut ChaCha8Rng) -> String {
    const MIN: usize = 15;
    const MAX: usize = 30;
    let lyric_formats: Vec<&str> = m
        .formats
        .iter()
        .map(String::as_str)
        .filter(|f| f.contains("{lyric") || f.contains("{line"))
        .collect();
    let d = data();
    for _ in 0..12 {
        let mut slots = m.slots_naming_artist(1);
        let hook = if m.lyrics.is_empty() {
            let mut pool = strs(d.shared.get(Role::MediumNoLyric));
            pool.extend(m.examples.iter().map(String::as_str));
            pick(&pool, &mut slots, rng, 16)
        } else if !lyric_formats.is_empty() && rng.random_bool(0.6) {
            pick(&lyric_formats, &mut slots, rng, 18)
        } else {
            pick_voiced(Role::MediumHook, m, &mut slots, rng, 18, 0.5)
        };
        let Some(hook) = hook else { continue };
        let Some(mut second) = pick_voiced(Role::MediumContext, m, &mut slots, rng, MAX, 0.5)
        else {
            continue;
        };
        if echoes(std::slice::from_ref(&hook), &second) {
            continue;
        }
        let extensions = strs(d.shared.get(Role::Extensions));
        let mut tries = 0;
        while words(&hook) + words(&second) < MIN && tries < 3 {
            if let Some(ext) = pick(&extensions, &mut slots, rng, MAX) {
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
        let text = m.finish(&join_sentences(&sentences));
        if (MIN..=MAX).contains(&words(&text)) && tokens(&text) <= MAX {
            return text;
        }
    }
    // Fallback: a hook of at most fourteen words, then a sentence of fifteen or sixteen.
    let hook = m
        .lyrics
        .iter()
        .find(|l| tokens(l) <= 14)
        .cloned()
        .into_iter()
        .collect::<Vec<_>>();
    let mut sentences = hook;
    sentences.push(fallback(Role::MediumFallback, rng));
    m.finish(&join_sentences(&sentences))
}

pub(super) fn write_long(m: &Material, rng: &mut ChaCha8Rng) -> String {
    const MIN: usize = 40;
    const MAX: usize = 80;
    let d = data();
    let lyric_formats: Vec<&str> = m
        .formats
        .iter()
        .map(String::as_str)
        .filter(|f| f.contains("{lyric"))
        .collect();
    for _ in 0..12 {
        let mut slots = m.slots_naming_artist(2);
        let mut sentences: Vec<String> = Vec::new();
        let Some(opener) = pick_voiced(Role::LongOpen, m, &mut slots, rng, 24, 0.5) else {
            continue;
        };
        sentences.push(opener);
        // The lyric beat: a story frame, or now and then the template's own format.
        let lyric = if !lyric_formats.is_empty() && rng.random_bool(0.3) {
            pick(&lyric_formats, &mut slots, rng, 18)
        } else {
            None
        };
        if let Some(s) = lyric.or_else(|| pick_voiced(Role::LongLyric, m, &mut slots, rng, 24, 0.5))
        {
            sentences.push(s);
        }
        let middles = rng.random_range(1..=2);
        let mut middle_pool = strs(d.shared.get(Role::LongMiddle));
        for _ in 0..middles {
            if let Some(s) = pick(&middle_pool, &mut slots, rng, 24) {
                middle_pool.retain(|f| slots_render_differs(f, &s));
                if !echoes(&sentences, &s) {
                    sentences.push(s);
                }
            }
        }
        // Now and then a guide example fits the story's voice as its last beat.
        let closer = if !m.examples.is_empty() && rng.random_bool(0.25) {
            m.examples.choose(rng).cloned().filter(|e| tokens(e) <= 16)
        } else {
            None
        };
        let closer = closer.or_else(|| pick_voiced(Role::LongClose, m, &mut slots, rng, 24, 0.5));
        let Some(closer) = closer.filter(|c| !echoes(&sentences, c)) else {
            continue;
        };
        let mut padding = strs(d.shared.get(Role::LongPadding));
        padding.shuffle(rng);
        let mut pad = padding.into_iter();
        while words(&join_sentences(&sentences)) + words(&closer) < MIN {
            let Some(p) = pad.next() else { break };
            if let Some(s) = slots.fill(p).filter(|s| !echoes(&sentences, s)) {
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
    // Fallback: the lyric beat when a frame fits, then the fallback sentences (each at most
    // twenty words) until the story has forty words.
    let mut slots = m.slots();
    let mut sentences: Vec<String> = Vec::new();
    if let Some(s) = pick(&strs(d.shared.get(Role::LongLyric)), &mut slots, rng, 20) {
        sentences.push(s);
    }
    for s in d.shared.get(Role::LongFallback) {
        if words(&join_sentences(&sentences)) >= MIN {
            break;
        }
        sentences.push(s.clone());
    }
    m.finish(&join_sentences(&sentences))
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
