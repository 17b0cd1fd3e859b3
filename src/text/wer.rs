//! Word error rate, the standard measure of a transcript against known lyrics.

/// Lower-cased words with punctuation removed (apostrophes dropped, so "I'm" and "im" match).
pub fn normalize_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-' || c == '—')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Edit operations between a reference and a hypothesis, counted in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct WerCounts {
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
    pub reference_words: usize,
}

impl WerCounts {
    /// (S + D + I) / N; 0 for an empty reference with an empty hypothesis.
    pub fn rate(&self) -> f64 {
        let errors = (self.substitutions + self.deletions + self.insertions) as f64;
        match self.reference_words {
            0 if errors == 0.0 => 0.0,
            0 => 1.0,
            n => errors / n as f64,
        }
    }
}

/// Aligns the two texts' normalised words with a minimum edit distance.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> WerCounts {
    let r = normalize_words(reference);
    let h = normalize_words(hypothesis);
    // cost[i][j]: (edits, S, D, I) turning r[..i] into h[..j].
    let mut prev: Vec<(usize, usize, usize, usize)> = (0..=h.len()).map(|j| (j, 0, 0, j)).collect();
    for i in 1..=r.len() {
        let mut cur = vec![(i, 0, i, 0); h.len() + 1];
        for j in 1..=h.len() {
            let same = r[i - 1] == h[j - 1];
            let diag = prev[j - 1];
            let sub = (
                diag.0 + usize::from(!same),
                diag.1 + usize::from(!same),
                diag.2,
                diag.3,
            );
            let del = (prev[j].0 + 1, prev[j].1, prev[j].2 + 1, prev[j].3);
            let ins = (
                cur[j - 1].0 + 1,
                cur[j - 1].1,
                cur[j - 1].2,
                cur[j - 1].3 + 1,
            );
            cur[j] = [sub, del, ins]
                .into_iter()
                .min_by_key(|c| c.0)
                .expect("three options");
        }
        prev = cur;
    }
    let (_, s, d, ins) = prev[h.len()];
    WerCounts {
        substitutions: s,
        deletions: d,
        insertions: ins,
        reference_words: r.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_zero_whatever_the_punctuation() {
        let c = word_error_rate("Hello, World! I'm here.", "hello world im here");
        assert_eq!(c.rate(), 0.0);
        assert_eq!(c.reference_words, 4);
    }

    #[test]
    fn counts_each_kind_of_error() {
        // one substitution (cat→bat), one deletion (the), one insertion (very).
        let c = word_error_rate("the cat sat on the mat", "bat sat on very the mat");
        assert_eq!((c.substitutions + c.deletions + c.insertions), 3);
        assert!((c.rate() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn empty_cases() {
        assert_eq!(word_error_rate("", "").rate(), 0.0);
        assert_eq!(word_error_rate("", "noise").rate(), 1.0);
        assert_eq!(word_error_rate("two words", "").rate(), 1.0);
    }
}
