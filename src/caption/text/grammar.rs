//! The one grammar rule every caption sentence keeps: outside its lyric quote it has a verb.
//! Used when the frames are loaded, when a caption is assembled and by the checker.

use std::collections::HashSet;

/// A sentence that quotes a lyric may carry a label or attribution of at most this many words
/// without a verb ("side A:", "— Lumen Vale").
pub(super) const LABEL_WORDS: usize = 4;

/// A word for comparison: lower case, without surrounding punctuation (inner apostrophes stay).
pub(super) fn norm(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
        .replace('\u{2019}', "'")
}

/// The words of a text, normalised, leaving out tokens without a letter or digit.
pub(super) fn norm_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(norm)
        .filter(|w| !w.is_empty())
        .collect()
}

/// A verb from the list, or its regular "-s", "-es", "-ies", "-ed" or "-d" form.
pub(super) fn is_verb(word: &str, verbs: &HashSet<String>) -> bool {
    if verbs.contains(word) {
        return true;
    }
    let stem = |suffix: &str, add: &str| {
        word.strip_suffix(suffix)
            .filter(|s| s.len() >= 2)
            .is_some_and(|s| verbs.contains(&format!("{s}{add}")))
    };
    stem("s", "")
        || stem("es", "")
        || stem("ies", "y")
        || stem("ed", "")
        || stem("d", "")
        || stem("ied", "y")
}

pub(super) fn has_verb(words: &[String], verbs: &HashSet<String>) -> bool {
    words.iter().any(|w| is_verb(w, verbs))
}

/// Removes every run of words equal to one of `quotes` (each compared whole, normalised);
/// returns what is left and whether any quote was found.
pub(super) fn without_quotes(words: &[String], quotes: &[Vec<String>]) -> (Vec<String>, bool) {
    let mut keep = vec![true; words.len()];
    let mut found = false;
    for q in quotes.iter().filter(|q| !q.is_empty()) {
        if q.len() > words.len() {
            continue;
        }
        for start in 0..=words.len() - q.len() {
            if words[start..start + q.len()] == q[..] {
                found = true;
                keep[start..start + q.len()]
                    .iter_mut()
                    .for_each(|k| *k = false);
            }
        }
    }
    let rest = words
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(w, _)| w.clone())
        .collect();
    (rest, found)
}

/// True when a sentence reads as one: outside its lyric quotes it has a verb, or it quotes a
/// lyric with at most a short label around it.
pub(super) fn sentence_ok(sentence: &str, quotes: &[Vec<String>], verbs: &HashSet<String>) -> bool {
    let (rest, quoted) = without_quotes(&norm_words(sentence), quotes);
    has_verb(&rest, verbs) || (quoted && rest.len() <= LABEL_WORDS)
}

/// Splits a caption into sentences at ". ! ?".
#[cfg(test)]
pub(super) fn sentences(text: &str) -> Vec<&str> {
    text.split(['.', '!', '?'])
        .map(str::trim)
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verbs() -> HashSet<String> {
        ["play", "carry", "love", "is", "make"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn regular_forms_count() {
        let v = verbs();
        for w in [
            "play", "plays", "played", "carries", "carried", "loved", "is",
        ] {
            assert!(is_verb(w, &v), "{w}");
        }
        for w in ["song", "songs", "red", "s", "night"] {
            assert!(!is_verb(w, &v), "{w}");
        }
    }

    #[test]
    fn quotes_and_labels() {
        let v = verbs();
        let q = vec![norm_words("windows down on an empty road")];
        assert!(sentence_ok("Windows down on an empty road", &q, &v));
        assert!(sentence_ok("Side A: windows down on an empty road", &q, &v));
        assert!(!sentence_ok(
            "For summer nights and long drives home",
            &q,
            &v
        ));
        assert!(!sentence_ok(
            "Windows down on an empty road, somewhere far out on the coast",
            &q,
            &v
        ));
        assert!(sentence_ok("Play it loud", &[], &v));
        assert_eq!(sentences("One. Two! Three? — "), ["One", "Two", "Three"]);
    }
}
