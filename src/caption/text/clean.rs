//! Cleaning text for captions: quotes, emoji and spacing, sentence-safe pieces, case and
//! articles.

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

pub(super) fn is_quote(c: char) -> bool {
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
pub(super) fn is_pictograph(c: char) -> bool {
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
pub(super) fn tidy_spacing(text: &str) -> String {
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

/// A lyric line or phrase as it reads inside a sentence: first letter lowered unless it is
/// "I" or an acronym.
pub(super) fn inline(line: &str) -> String {
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

pub(super) fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Makes text safe to use inside one sentence: sentence-ending marks become commas and the
/// ends are trimmed of punctuation.
pub(super) fn sentence_safe(text: &str) -> String {
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

pub(super) fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '-' | '–' | '—' | '…')
    })
}

/// Splits after any of `marks`, keeping each piece trimmed and non-empty.
pub(super) fn split_keep(text: &str, marks: &[char]) -> Vec<String> {
    text.split(|c| marks.contains(&c))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whitespace-separated tokens.
pub(super) fn tokens(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Words proper: tokens with a letter or digit (a lone dash is not a word).
pub(super) fn words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|t| t.chars().any(|c| c.is_alphanumeric()))
        .count()
}

/// "a" before a vowel sound becomes "an" (themes such as "endless summer" follow "a").
pub(super) fn fix_articles(text: &str) -> String {
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
