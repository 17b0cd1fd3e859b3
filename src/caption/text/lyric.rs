//! The clip's lyric lines: cleaned, in sentence case, ranked by how much of a hook they are.
//! A line is quoted whole or not at all; it is only ever split at sentence punctuation inside
//! it, which leaves whole phrases.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::clean::{clean_text, sentence_safe, split_keep, tidy_spacing};

/// Marks that end a phrase inside a sung line: a line may be split there.
pub(super) const SENTENCE_MARKS: [char; 5] = ['.', '!', '?', ';', '…'];

/// The clip's lyric lines, cleaned, best hook first (repeated lines rank up: they are usually
/// the chorus). Lines made only of filler ("oh oh") are left out.
pub(super) fn lyric_lines(lyrics: &str, filler: &[String]) -> Vec<String> {
    let without_cues = remove_bracketed(lyrics);
    let mut pieces: Vec<String> = Vec::new();
    for raw in without_cues.lines() {
        let line = sentence_case(&clean_text(raw));
        pieces.extend(split_keep(&line, &SENTENCE_MARKS));
    }

    // Keep first occurrence order, count repeats: (line, repeats, words).
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
        if words.is_empty() || words.iter().all(|w| filler.iter().any(|f| f == w)) {
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
pub(super) fn sentence_case(line: &str) -> String {
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
pub(super) fn pick_order(lines: &[String], rng: &mut ChaCha8Rng) -> Vec<String> {
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
pub(super) fn remove_bracketed(text: &str) -> String {
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
