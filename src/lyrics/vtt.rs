//! WebVTT: a video's lyric lines as a subtitle file players and platforms read.

use crate::moment::TimedLine;

/// `lines` as a WebVTT document: one cue per line, numbered from 1. No lines gives a valid
/// file with no cues (an instrumental clip).
pub fn webvtt(lines: &[TimedLine]) -> String {
    let mut out = String::from("WEBVTT\n");
    for (i, line) in lines.iter().enumerate() {
        let text = cue_text(&line.text);
        if text.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            i + 1,
            timestamp(line.start),
            timestamp(line.end.max(line.start)),
            text
        ));
    }
    out
}

/// `hh:mm:ss.ttt`.
fn timestamp(seconds: f64) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Cue text on one line, with the characters WebVTT reserves escaped.
fn cue_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(start: f64, end: f64, text: &str) -> TimedLine {
        TimedLine {
            start,
            end,
            text: text.into(),
            words: Vec::new(),
        }
    }

    #[test]
    fn cues_are_numbered_timed_and_escaped() {
        let doc = webvtt(&[
            line(0.4, 2.658, "The sky turns blue"),
            line(3.5, 3661.25, "rock & roll <3 --> forever"),
        ]);
        assert_eq!(
            doc,
            "WEBVTT\n\n1\n00:00:00.400 --> 00:00:02.658\nThe sky turns blue\n\n\
             2\n00:00:03.500 --> 01:01:01.250\nrock &amp; roll &lt;3 --&gt; forever\n"
        );
    }

    #[test]
    fn an_instrumental_gets_an_empty_file() {
        assert_eq!(webvtt(&[]), "WEBVTT\n");
    }
}
