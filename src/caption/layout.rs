//! Where caption text goes on the frame, following the hosted pipeline's rules (DESIGN.md,
//! "Caption layout"). The rules are written for a 720-wide frame; every length is scaled by
//! width / 720, so a 1080×1920 frame gets the same layout 1.5 times larger.

/// Width the layout rules are written for.
pub const DESIGN_WIDTH: u32 = 720;
/// Start, step and floor of the font size search (design pixels).
const START_FONT: u32 = 42;
const FONT_STEP: u32 = 2;
const MIN_FONT: u32 = 20;
/// The text block may take at most this share of the frame height.
const MAX_BLOCK_SHARE: f32 = 0.40;
/// Gap between the block's bottom and the frame's bottom for short captions.
const BOTTOM_MARGIN: f32 = 120.0;
/// Top of the block for captions longer than six lines.
const LONG_TOP: f32 = 180.0;
/// Line height is the font size plus this.
const LINE_GAP: u32 = 10;

/// A laid-out caption, in output pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptionLayout {
    /// Font size in pixels (the font's ascent minus descent).
    pub font_size: f32,
    /// Distance between the tops of consecutive lines: font size + 10 design pixels.
    pub line_height: f32,
    /// Width of the black outline around the glyphs.
    pub border: f32,
    /// The wrapped lines, top to bottom.
    pub lines: Vec<String>,
    /// Top of the first line's box. Line `i` occupies `top_y + i * line_height` to
    /// `top_y + (i + 1) * line_height`, with its glyphs centred vertically in that box
    /// (5 design pixels above the ascent and below the descent).
    pub top_y: f32,
    /// The frame the layout is for.
    pub width: u32,
    pub height: u32,
}

impl CaptionLayout {
    /// Scale from design pixels to output pixels.
    pub fn scale(&self) -> f32 {
        scale_for(self.width)
    }

    /// Height of the whole text block.
    pub fn block_height(&self) -> f32 {
        self.lines.len() as f32 * self.line_height
    }

    /// Top of line `i`'s box.
    pub fn line_top(&self, i: usize) -> f32 {
        self.top_y + i as f32 * self.line_height
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

fn scale_for(width: u32) -> f32 {
    // Narrower frames shrink too, so text never runs off them.
    if width == 0 {
        1.0
    } else {
        width as f32 / DESIGN_WIDTH as f32
    }
}

/// Characters per line at a design font size: floor(720 × 0.85 / (fs × 0.55)).
/// Computed in integers (720 × 0.85 × 20 = 12240, 0.55 × 20 = 11) so no rounding creeps in.
pub fn chars_per_line(font_size: u32) -> usize {
    (12240 / (11 * font_size.max(1))) as usize
}

/// Border width at a design font size: max(2, round(fs / 14)).
pub fn border_for(font_size: u32) -> u32 {
    ((font_size as f32 / 14.0).round() as u32).max(2)
}

/// Lays `text` out for a `width`×`height` frame.
pub fn layout(text: &str, width: u32, height: u32) -> CaptionLayout {
    let scale = scale_for(width);
    // Work in design pixels; the frame height in those units.
    let design_height = height as f32 / scale;
    let words: Vec<&str> = text.split_whitespace().collect();

    let mut fs = START_FONT;
    let mut lines = wrap(&words, chars_per_line(fs));
    while fs > MIN_FONT && !fits(lines.len(), fs, design_height) {
        fs -= FONT_STEP;
        lines = wrap(&words, chars_per_line(fs));
    }

    let line_height = (fs + LINE_GAP) as f32;
    let block = lines.len() as f32 * line_height;
    let top = match lines.len() {
        0..=3 => design_height - BOTTOM_MARGIN - block,
        4..=6 => (design_height - block) / 2.0,
        _ => LONG_TOP,
    };
    CaptionLayout {
        font_size: fs as f32 * scale,
        line_height: line_height * scale,
        border: border_for(fs) as f32 * scale,
        lines,
        top_y: top * scale,
        width,
        height,
    }
}

/// Room kept between the caption and the head, and from the frame's top and bottom edges
/// when a caption has to move (design pixels).
const HEAD_GAP: f32 = 24.0;
const EDGE_SAFE: f32 = 60.0;

/// Like [`layout`], but the block never covers `head` (x, y, w, h in frame pixels): when the
/// hosted position would overlap it, the block moves to the nearest band above or below the
/// head that holds it, shrinking the font if no band holds it at its size. With no room at
/// all it goes to the band with the most room.
pub fn layout_clear_of(
    text: &str,
    width: u32,
    height: u32,
    head: Option<[f32; 4]>,
) -> CaptionLayout {
    let default = layout(text, width, height);
    let Some([_, hy, _, hh]) = head else {
        return default;
    };
    let scale = default.scale();
    let gap = HEAD_GAP * scale;
    let (head_top, head_bottom) = (hy - gap, hy + hh + gap);
    let overlaps = |top: f32, block: f32| top < head_bottom && top + block > head_top;
    if default.is_empty() || !overlaps(default.top_y, default.block_height()) {
        return default;
    }
    let (safe_top, safe_bottom) = (EDGE_SAFE * scale, height as f32 - EDGE_SAFE * scale);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut fs = (default.font_size / scale).round() as u32;
    loop {
        let lines = wrap(&words, chars_per_line(fs));
        let line_height = (fs + LINE_GAP) as f32 * scale;
        let block = lines.len() as f32 * line_height;
        let above = head_top - block;
        let below = head_bottom;
        let candidates = [
            (above >= safe_top).then_some(above),
            (below + block <= safe_bottom).then_some(below),
        ];
        let best = candidates.into_iter().flatten().min_by(|a, b| {
            (a - default.top_y)
                .abs()
                .total_cmp(&(b - default.top_y).abs())
        });
        let at = |top_y: f32| CaptionLayout {
            font_size: fs as f32 * scale,
            line_height,
            border: border_for(fs) as f32 * scale,
            lines: lines.clone(),
            top_y,
            width,
            height,
        };
        if let Some(top) = best {
            return at(top);
        }
        if fs <= MIN_FONT {
            // No band holds it: the roomier one, kept on the frame.
            let room_above = head_top - safe_top;
            let room_below = safe_bottom - head_bottom;
            let top = if room_above > room_below {
                safe_top.max(above)
            } else {
                below.min(height as f32 - block).max(0.0)
            };
            return at(top);
        }
        fs -= FONT_STEP;
    }
}

fn fits(lines: usize, fs: u32, design_height: f32) -> bool {
    lines as f32 * (fs + LINE_GAP) as f32 <= MAX_BLOCK_SHARE * design_height
}

/// Greedy wrap by character count. A word longer than a line is split across lines.
fn wrap(words: &[&str], max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_chars = 0;
    for word in words {
        let mut word: &str = word;
        let mut n = word.chars().count();
        while n > max_chars {
            if line_chars > 0 {
                lines.push(std::mem::take(&mut line));
                line_chars = 0;
            }
            let cut = word
                .char_indices()
                .nth(max_chars)
                .map_or(word.len(), |(i, _)| i);
            lines.push(word[..cut].to_string());
            word = &word[cut..];
            n -= max_chars;
        }
        if n == 0 {
            continue;
        }
        if line_chars == 0 {
            line.push_str(word);
            line_chars = n;
        } else if line_chars + 1 + n <= max_chars {
            line.push(' ');
            line.push_str(word);
            line_chars += 1 + n;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
            line_chars = n;
        }
    }
    if line_chars > 0 {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chars_per_line_and_border_by_hand() {
        // 612 / (42 × 0.55) = 26.49…
        assert_eq!(chars_per_line(42), 26);
        // 612 / 11 = 55.6…
        assert_eq!(chars_per_line(20), 55);
        assert_eq!(chars_per_line(30), 37);
        assert_eq!(border_for(42), 3);
        assert_eq!(border_for(20), 2);
        assert_eq!(border_for(28), 2);
        assert_eq!(border_for(36), 3);
    }

    #[test]
    fn short_caption_sits_at_the_bottom() {
        // 26 chars per line: "hold the light before it" is 24, adding " goes" would be 29.
        let l = layout("hold the light before it goes", 720, 1280);
        assert_eq!(l.font_size, 42.0);
        assert_eq!(l.line_height, 52.0);
        assert_eq!(l.border, 3.0);
        assert_eq!(l.lines, vec!["hold the light before it", "goes"]);
        // Bottom at 1280 − 120 = 1160, two lines of 52.
        assert_eq!(l.top_y, 1160.0 - 104.0);
        assert_eq!((l.width, l.height), (720, 1280));
    }

    #[test]
    fn upscaled_frame_scales_every_number() {
        let l = layout("hold the light before it goes", 1080, 1920);
        assert_eq!(l.font_size, 63.0);
        assert_eq!(l.line_height, 78.0);
        assert_eq!(l.border, 4.5);
        assert_eq!(l.lines, vec!["hold the light before it", "goes"]);
        assert_eq!(l.top_y, (1160.0 - 104.0) * 1.5);
    }

    #[test]
    fn four_to_six_lines_are_centred() {
        // 100 chars of 4-letter words: 26 chars per line holds five words (24 chars).
        let text = vec!["word"; 20].join(" ");
        let l = layout(&text, 720, 1280);
        assert_eq!(l.font_size, 42.0);
        assert_eq!(l.lines.len(), 4);
        assert_eq!(l.lines[0], "word word word word word");
        // (1280 − 4 × 52) / 2
        assert_eq!(l.top_y, (1280.0 - 208.0) / 2.0);
    }

    #[test]
    fn long_text_shrinks_until_it_fits() {
        // 120 four-letter words = 600 chars. At 42: 24 lines × 52 = 1248 > 512 (40 % of 1280).
        // At fs, five-char units per line = floor((cpl + 1) / 5); lines = ceil(120 / that).
        // fs 26: cpl 42, 8 words/line, 15 lines × 36 = 540 > 512.
        // fs 24: cpl 46, 9 words/line, 14 lines × 34 = 476 ≤ 512.
        let text = vec!["word"; 120].join(" ");
        let l = layout(&text, 720, 1280);
        assert_eq!(l.font_size, 24.0);
        assert_eq!(l.lines.len(), 14);
        assert_eq!(l.line_height, 34.0);
        assert_eq!(l.border, 2.0);
        assert_eq!(l.top_y, 180.0);
    }

    #[test]
    fn never_below_twenty() {
        let text = vec!["word"; 1000].join(" ");
        let l = layout(&text, 720, 1280);
        assert_eq!(l.font_size, 20.0);
        assert_eq!(l.top_y, 180.0);
        assert!(l.lines.iter().all(|line| line.chars().count() <= 55));
    }

    #[test]
    fn long_words_are_split_and_empty_text_is_empty() {
        let word = "x".repeat(60);
        let l = layout(&word, 720, 1280);
        assert_eq!(l.lines, vec!["x".repeat(26), "x".repeat(26), "x".repeat(8)]);
        let l = layout("  ", 720, 1280);
        assert!(l.is_empty());
        assert_eq!(l.top_y, 1160.0);
    }

    #[test]
    fn a_caption_over_the_head_moves_to_the_nearest_free_band() {
        // Four lines are centred (436..644); a head at 380..600 is in the way.
        let text = vec!["word"; 20].join(" ");
        let head = [250.0, 380.0, 220.0, 220.0];
        let l = layout_clear_of(&text, 720, 1280, Some(head));
        let (top, bottom) = (l.top_y, l.top_y + l.block_height());
        assert!(bottom <= 380.0 || top >= 600.0, "{top}..{bottom}");
        assert_eq!(l.font_size, 42.0, "room enough at full size");
        // Below the head is nearer to the centred position than above it.
        assert!(top >= 600.0);
    }

    #[test]
    fn a_caption_clear_of_the_head_stays_where_the_hosted_rules_put_it() {
        let l = layout_clear_of(
            "hold the light before it goes",
            720,
            1280,
            Some([300.0, 200.0, 120.0, 160.0]),
        );
        assert_eq!(l, layout("hold the light before it goes", 720, 1280));
    }

    #[test]
    fn a_caption_never_covers_the_head_wherever_the_head_is() {
        for words in [5, 20, 40, 80] {
            let text = vec!["word"; words].join(" ");
            for y in (0..1100).step_by(50) {
                let head = [260.0, y as f32, 200.0, 180.0];
                let l = layout_clear_of(&text, 720, 1280, Some(head));
                let (top, bottom) = (l.top_y, l.top_y + l.block_height());
                let clear = bottom <= y as f32 || top >= y as f32 + 180.0;
                // Only a block taller than both bands together may touch the head.
                let room = (y as f32).max(1280.0 - y as f32 - 180.0);
                assert!(
                    clear || l.block_height() > room - 100.0,
                    "{words} words, head at {y}: {top}..{bottom}"
                );
            }
        }
    }

    #[test]
    fn wrap_counts_characters_not_bytes() {
        let l = layout("déjà vu déjà vu déjà vu déjà vu", 720, 1280);
        // "déjà vu déjà vu déjà vu" is 23 characters (27 bytes).
        assert_eq!(l.lines, vec!["déjà vu déjà vu déjà vu", "déjà vu"]);
    }
}
