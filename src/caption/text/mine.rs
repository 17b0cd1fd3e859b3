//! Mining the artist's and audience's notes (`context/artist.md`, `context/audience.md`) for
//! caption phrases: themes such as "summer nights" and listening moments such as "late at
//! night in your room". Which sections count and which fragments are phrases is steered by
//! the word lists in `assets/captions/words.json`.

use super::clean::{clean_text, inline, sentence_safe, split_keep, tidy_spacing, trim_punct};
use super::data::{data, Words};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
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

fn has(list: &[String], word: &str) -> bool {
    list.iter().any(|w| w == word)
}

fn classify(heading: &str, source: Source, artist_title: bool) -> Section {
    let w = &data().words;
    let h = format!(" {} ", heading.to_lowercase());
    if w.skip_headings.iter().any(|k| h.contains(k.as_str())) {
        return Section::Skip;
    }
    if artist_title || w.about_headings.iter().any(|k| h.contains(k.as_str())) {
        return Section::AboutOnly;
    }
    if w.like_headings.iter().any(|k| h.contains(k.as_str())) {
        return Section::Likes;
    }
    match source {
        Source::Artist => Section::General,
        // Who the listeners are is not what a caption talks about; where they listen is.
        Source::Audience => Section::AboutOnly,
    }
}

pub(super) fn mine_markdown(
    md: &str,
    source: Source,
    themes: &mut Vec<String>,
    moments: &mut Vec<String>,
) {
    let items = blocks(md, source);
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

/// The notes' text blocks (paragraphs and list items, as plain text) with the section each
/// belongs to. Code, tables, HTML and images are left out; links keep their text.
fn blocks(md: &str, source: Source) -> Vec<(Section, String)> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    let mut items: Vec<(Section, String)> = Vec::new();
    let mut section = classify("", source, false);
    let mut text = String::new();
    let mut heading: Option<(pulldown_cmark::HeadingLevel, String)> = None;
    // Inside code blocks, tables and images nothing is caption material.
    let mut hidden = 0usize;
    let mut line_start = true;
    // A table row without the delimiter row under it is still a table row to the reader.
    let mut table_row = false;
    let flush = |text: &mut String, items: &mut Vec<(Section, String)>, section| {
        let t = tidy_spacing(text);
        if !t.is_empty() {
            items.push((section, t));
        }
        text.clear();
    };
    for event in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Table(_) | Tag::Image { .. }) => hidden += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Table | TagEnd::Image) => {
                hidden = hidden.saturating_sub(1)
            }
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut text, &mut items, section);
                heading = Some((level, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, h)) = heading.take() {
                    // A level-one title is usually the artist's name; the text under it is a bio.
                    let title = level == pulldown_cmark::HeadingLevel::H1;
                    section = classify(&tidy_spacing(&h), source, title);
                }
            }
            Event::Start(Tag::Item | Tag::Paragraph)
            | Event::End(TagEnd::Item | TagEnd::Paragraph) => {
                flush(&mut text, &mut items, section);
                (line_start, table_row) = (true, false);
            }
            Event::Text(t) | Event::Code(t) if hidden == 0 && !table_row => {
                if line_start && t.starts_with('|') {
                    table_row = true;
                    continue;
                }
                // Lines that start with a bullet Markdown does not know ("• ", "– ") are items.
                let bullet = if line_start && heading.is_none() {
                    bullet_text(&t)
                } else {
                    None
                };
                match (&mut heading, bullet) {
                    (Some((_, h)), _) => h.push_str(&t),
                    (None, Some(rest)) => {
                        flush(&mut text, &mut items, section);
                        text.push_str(rest);
                    }
                    (None, None) => text.push_str(&t),
                }
                line_start = false;
            }
            Event::SoftBreak | Event::HardBreak => {
                match &mut heading {
                    Some((_, h)) => h.push(' '),
                    None => text.push(' '),
                }
                (line_start, table_row) = (true, false);
            }
            _ => {}
        }
    }
    flush(&mut text, &mut items, section);
    items
}

/// The text after a bullet that Markdown itself does not treat as a list marker.
fn bullet_text(line: &str) -> Option<&str> {
    ["• ", "– "]
        .iter()
        .find_map(|marker| line.strip_prefix(marker))
        .map(str::trim)
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
    let w: &Words = &data().words;
    let mut words: Vec<String> = trim_punct(fragment)
        .split_whitespace()
        .map(|w| w.to_string())
        .collect();
    while words
        .first()
        .is_some_and(|x| has(&w.leading_joiners, &x.to_lowercase()))
    {
        words.remove(0);
    }
    if source == Source::Audience {
        for x in words.iter_mut() {
            let swapped = match x.to_lowercase().as_str() {
                "their" => "your",
                "they" => "you",
                "them" => "you",
                "themselves" => "yourself",
                "theirs" => "yours",
                _ => continue,
            };
            *x = swapped.to_string();
        }
    }
    if words.len() < 2 || words.len() > 9 {
        return None;
    }
    let lower: Vec<String> = words
        .iter()
        .map(|x| {
            x.to_lowercase()
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_string()
        })
        .collect();
    if has(&w.bad_first_words, &lower[0])
        || lower
            .iter()
            .any(|x| has(&w.meta_words, x) || has(&w.clause_words, x))
        || words.iter().any(|x| x.chars().any(|c| c.is_ascii_digit()))
        || words
            .iter()
            .any(|x| x.contains('%') || x.contains('/') || x.contains('@'))
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
    has(&data().words.moment_words, &first)
}

/// The themes and moments of an artist's notes, deduplicated, in the order they were found;
/// the generic ones from the data when the notes give none. A phrase that contains another
/// ("city lights and long drives" and "city lights") is dropped, so that no phrase shows up
/// inside another caption's.
pub(super) fn phrases(
    artist_md: Option<&str>,
    audience_md: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut themes = Vec::new();
    let mut moments = Vec::new();
    if let Some(md) = artist_md {
        mine_markdown(md, Source::Artist, &mut themes, &mut moments);
    }
    if let Some(md) = audience_md {
        mine_markdown(md, Source::Audience, &mut themes, &mut moments);
    }
    let w = &data().words;
    if themes.is_empty() {
        themes.clone_from(&w.generic_themes);
    }
    if moments.is_empty() {
        moments.clone_from(&w.generic_moments);
    }
    let keys: Vec<String> = themes
        .iter()
        .chain(&moments)
        .map(|p| format!(" {} ", p.to_lowercase()))
        .collect();
    let keep = |p: &String| {
        let key = format!(" {} ", p.to_lowercase());
        !keys.iter().any(|k| *k != key && key.contains(k.as_str()))
    };
    let mut seen = std::collections::HashSet::new();
    let mut unique = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .filter(|p| keep(p) && seen.insert(p.to_lowercase()))
            .collect()
    };
    let themes = unique(themes);
    let moments = unique(moments);
    (themes, moments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_prose_and_list_items_and_drop_code_tables_and_images() {
        let md = "# Ada\n\nA bio with a [link](http://x) and `code`.\n\n## Fans like\n\n\
                  - summer nights\n- long *drives*\n• city lights\n• rain\n\n\
                  ```\nnot prose\n```\n\n| a | b |\n|---|---|\n| c | d |\n\n\
                  | a lone row |\n\n![cover](c.png) after the image\n";
        let texts: Vec<String> = blocks(md, Source::Artist)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(
            texts,
            [
                "A bio with a link and code.",
                "summer nights",
                "long drives",
                "city lights",
                "rain",
                "after the image",
            ]
        );
    }
}
