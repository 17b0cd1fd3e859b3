//! Rasterising a laid-out caption: white anti-aliased glyphs with a black outline, on a
//! transparent frame-sized layer.
//!
//! The outline is the glyph coverage dilated by a disc of radius `border` whose edge is itself
//! anti-aliased, so it stays smooth at any size (offset copies of the text leave corners jagged).

use std::path::Path;
use std::sync::Arc;

use ab_glyph::{point, Font, FontArc, GlyphId, PxScale, ScaleFont};
use image::{Rgba, RgbaImage};

use super::layout::CaptionLayout;
use super::CaptionError;

/// DejaVu Sans Bold (Bitstream Vera licence, see assets/fonts/LICENSE-DejaVu.txt).
static BUNDLED_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Share of the frame width a line may take before it is squeezed to fit. The layout's
/// characters-per-line rule assumes narrower glyphs than a bold face has on wide words.
const MAX_LINE_SHARE: f32 = 0.96;

/// The caption typeface.
#[derive(Clone, Debug)]
pub struct CaptionFont {
    font: FontArc,
}

impl CaptionFont {
    /// The font shipped in `assets/fonts`, built into the binary.
    pub fn bundled() -> CaptionFont {
        // Checked by the tests; the bytes are part of the binary.
        let font = FontArc::try_from_slice(BUNDLED_FONT).expect("bundled caption font parses");
        CaptionFont { font }
    }

    /// A TrueType / OpenType font from disk.
    pub fn from_file(path: &Path) -> Result<CaptionFont, CaptionError> {
        let bytes = std::fs::read(path).map_err(|source| CaptionError::FontIo {
            path: path.to_path_buf(),
            source: Arc::new(source),
        })?;
        let font = FontArc::try_from_vec(bytes).map_err(|_| CaptionError::FontInvalid {
            path: path.to_path_buf(),
        })?;
        Ok(CaptionFont { font })
    }

    pub fn font(&self) -> &FontArc {
        &self.font
    }

    /// Width of `text` in pixels at `size`, kerning included.
    pub fn text_width(&self, text: &str, size: f32) -> f32 {
        self.positions(text, size).1
    }

    /// Glyph ids and their x offsets for one line, and the line's advance width.
    fn positions(&self, text: &str, size: f32) -> (Vec<(GlyphId, f32)>, f32) {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let mut x = 0.0;
        let mut prev: Option<GlyphId> = None;
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            out.push((id, x));
            x += scaled.h_advance(id);
            prev = Some(id);
        }
        (out, x)
    }
}

/// A rendered caption: a frame-sized transparent image and the box holding its painted pixels.
#[derive(Debug, Clone)]
pub struct CaptionLayer {
    pub image: RgbaImage,
    /// `(x, y, width, height)` of the painted pixels; all zero when nothing is painted.
    pub bounds: (u32, u32, u32, u32),
}

impl CaptionLayer {
    pub fn is_empty(&self) -> bool {
        self.bounds.2 == 0 || self.bounds.3 == 0
    }
}

/// Renders `layout` as white text with a black border on a transparent `width`×`height` layer.
pub fn render_caption(layout: &CaptionLayout, font: &CaptionFont) -> CaptionLayer {
    render_caption_filled(layout, font, [255, 255, 255])
}

/// The size and left edge of line `i` as [`render_caption`] sets it: a line too wide for the
/// frame is set smaller rather than cut off.
fn line_geometry(layout: &CaptionLayout, font: &CaptionFont, line: &str) -> (f32, f32) {
    let size = layout.font_size.max(1.0);
    let max_width = layout.width as f32 * MAX_LINE_SHARE - 2.0 * layout.border;
    let natural = font.text_width(line, size);
    let line_size = if natural > max_width && natural > 0.0 {
        size * max_width / natural
    } else {
        size
    };
    let line_width = font.text_width(line, line_size);
    (line_size, (layout.width as f32 - line_width) / 2.0)
}

/// Where each word of each laid-out line is painted: `[x0, x1]` in frame pixels, in reading
/// order (lines are the layout's, words split on whitespace).
pub fn word_spans(layout: &CaptionLayout, font: &CaptionFont) -> Vec<Vec<[f32; 2]>> {
    layout
        .lines
        .iter()
        .map(|line| {
            let (size, x0) = line_geometry(layout, font, line);
            let mut spans = Vec::new();
            let mut from = 0;
            for word in line.split_whitespace() {
                let at = from + line[from..].find(word).unwrap_or(0);
                let left = font.text_width(&line[..at], size);
                let right = font.text_width(&line[..at + word.len()], size);
                spans.push([x0 + left, x0 + right]);
                from = at + word.len();
            }
            spans
        })
        .collect()
}

/// Like [`render_caption`] with the glyphs filled in `fill` (RGB) instead of white.
pub fn render_caption_filled(
    layout: &CaptionLayout,
    font: &CaptionFont,
    fill: [u8; 3],
) -> CaptionLayer {
    let (w, h) = (layout.width, layout.height);
    let mut image = RgbaImage::new(w, h);
    if w == 0 || h == 0 || layout.lines.iter().all(|l| l.trim().is_empty()) {
        return CaptionLayer {
            image,
            bounds: (0, 0, 0, 0),
        };
    }

    // Glyph coverage over the whole frame, 0..1.
    let mut cov = Coverage::new(w as usize, h as usize);
    let size = layout.font_size.max(1.0);
    let pad = (layout.line_height - size) / 2.0;
    for (i, line) in layout.lines.iter().enumerate() {
        let (line_size, x0) = line_geometry(layout, font, line);
        let scaled = font.font.as_scaled(PxScale::from(line_size));
        let (glyphs, _) = font.positions(line, line_size);
        // Centre the glyph box (ascent..descent) in the line box.
        let box_top = layout.line_top(i) + pad + (size - line_size) / 2.0;
        let baseline = box_top + scaled.ascent();
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(line_size, point(x0 + x, baseline));
            if let Some(outlined) = font.font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                let (bx, by) = (b.min.x as i64, b.min.y as i64);
                outlined.draw(|gx, gy, c| cov.add(bx + gx as i64, by + gy as i64, c));
            }
        }
    }
    let Some((x0, y0, x1, y1)) = cov.extent() else {
        return CaptionLayer {
            image,
            bounds: (0, 0, 0, 0),
        };
    };

    // Outline: max over a disc of coverage × disc weight, the disc's rim anti-aliased.
    let r = layout.border.max(0.0);
    let reach = r.ceil() as i64 + 1;
    let mut disc = Vec::new();
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let d = ((dx * dx + dy * dy) as f32).sqrt();
            let weight = (r + 0.5 - d).clamp(0.0, 1.0);
            if weight > 0.0 {
                disc.push((dx, dy, weight));
            }
        }
    }
    let bx0 = (x0 as i64 - reach).max(0) as usize;
    let by0 = (y0 as i64 - reach).max(0) as usize;
    let bx1 = ((x1 as i64 + reach) as usize).min(w as usize - 1);
    let by1 = ((y1 as i64 + reach) as usize).min(h as usize - 1);

    let mut painted: Option<(u32, u32, u32, u32)> = None;
    for y in by0..=by1 {
        for x in bx0..=bx1 {
            let core = cov.get(x as i64, y as i64);
            let mut edge = core;
            if core < 1.0 {
                for &(dx, dy, weight) in &disc {
                    let v = cov.get(x as i64 + dx, y as i64 + dy) * weight;
                    if v > edge {
                        edge = v;
                        if edge >= 1.0 {
                            break;
                        }
                    }
                }
            }
            // White core over black outline: alpha = core + edge·(1 − core).
            let alpha = core + edge * (1.0 - core);
            if alpha <= 1.0 / 512.0 {
                continue;
            }
            let a = (255.0 * alpha).round().clamp(0.0, 255.0) as u8;
            if a == 0 {
                continue;
            }
            let [r, g, b] =
                fill.map(|c| (f32::from(c) * core / alpha).round().clamp(0.0, 255.0) as u8);
            image.put_pixel(x as u32, y as u32, Rgba([r, g, b, a]));
            let (x, y) = (x as u32, y as u32);
            painted = Some(match painted {
                None => (x, y, x, y),
                Some((a0, b0, a1, b1)) => (a0.min(x), b0.min(y), a1.max(x), b1.max(y)),
            });
        }
    }
    let bounds = painted.map_or((0, 0, 0, 0), |(a0, b0, a1, b1)| {
        (a0, b0, a1 - a0 + 1, b1 - b0 + 1)
    });
    CaptionLayer { image, bounds }
}

/// Frame-sized glyph coverage that ignores writes outside the frame.
struct Coverage {
    w: usize,
    h: usize,
    data: Vec<f32>,
    extent: Option<(usize, usize, usize, usize)>,
}

impl Coverage {
    fn new(w: usize, h: usize) -> Coverage {
        Coverage {
            w,
            h,
            data: vec![0.0; w * h],
            extent: None,
        }
    }

    fn add(&mut self, x: i64, y: i64, c: f32) {
        if c <= 0.0 || x < 0 || y < 0 || x >= self.w as i64 || y >= self.h as i64 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        let v = &mut self.data[y * self.w + x];
        *v = (*v + c).min(1.0);
        self.extent = Some(match self.extent {
            None => (x, y, x, y),
            Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
        });
    }

    fn get(&self, x: i64, y: i64) -> f32 {
        if x < 0 || y < 0 || x >= self.w as i64 || y >= self.h as i64 {
            0.0
        } else {
            self.data[y as usize * self.w + x as usize]
        }
    }

    fn extent(&self) -> Option<(usize, usize, usize, usize)> {
        self.extent
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout::layout;
    use super::*;

    #[test]
    fn bundled_font_has_accents() {
        let font = CaptionFont::bundled();
        for c in "éàïç—ñøß".chars() {
            assert_ne!(font.font().glyph_id(c).0, 0, "{c}");
        }
        assert!(font.text_width("Hello", 42.0) > 50.0);
    }

    #[test]
    fn painted_pixels_lie_in_the_expected_region() {
        let font = CaptionFont::bundled();
        let l = layout("hold the light before it goes", 720, 1280);
        let layer = render_caption(&l, &font);
        assert_eq!(layer.image.dimensions(), (720, 1280));
        let (x, y, w, h) = layer.bounds;
        assert!(w > 200 && h > 60, "{:?}", layer.bounds);
        // Inside the block, allowing the border around it.
        let slack = l.border + 2.0;
        assert!(y as f32 >= l.top_y - slack);
        assert!((y + h) as f32 <= l.top_y + l.block_height() + slack);
        // Centred horizontally.
        let centre = x as f32 + w as f32 / 2.0;
        assert!((centre - 360.0).abs() < 4.0, "{centre}");
        for (px, py, p) in layer.image.enumerate_pixels() {
            if p[3] > 0 {
                assert!(px >= x && px < x + w && py >= y && py < y + h);
            }
        }
    }

    #[test]
    fn white_core_and_black_edge() {
        let font = CaptionFont::bundled();
        let l = layout("HELLO WORLD", 1080, 1920);
        let layer = render_caption(&l, &font);
        let mut white = 0;
        let mut black = 0;
        for p in layer.image.pixels() {
            if p[3] == 255 && p[0] == 255 {
                white += 1;
            }
            if p[3] == 255 && p[0] == 0 {
                black += 1;
            }
            // Grey only where white meets black: never coloured.
            assert!(p[0] == p[1] && p[1] == p[2]);
        }
        assert!(white > 2000, "{white}");
        assert!(black > 1000, "{black}");
        // Just above the first line's glyph tops is outline, not core.
        let (x, y, w, _) = layer.bounds;
        let row: Vec<_> = (x..x + w).map(|px| layer.image.get_pixel(px, y)).collect();
        assert!(row.iter().all(|p| p[0] < 128 || p[3] < 128));
    }

    #[test]
    fn empty_text_gives_an_empty_layer() {
        let font = CaptionFont::bundled();
        let layer = render_caption(&layout("", 720, 1280), &font);
        assert!(layer.is_empty());
        assert_eq!(layer.bounds, (0, 0, 0, 0));
        assert!(layer.image.pixels().all(|p| p[3] == 0));
    }

    #[test]
    fn too_wide_lines_are_squeezed_inside_the_frame() {
        let font = CaptionFont::bundled();
        let l = layout("WWWWWWWWWWWWWWWWWWWWWWWWWW", 720, 1280);
        let layer = render_caption(&l, &font);
        let (x, _, w, _) = layer.bounds;
        assert!(x > 0 && x + w < 720, "{:?}", layer.bounds);
    }

    #[test]
    fn missing_font_file_is_an_error() {
        let err = CaptionFont::from_file(Path::new("/nonexistent/font.ttf")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/font.ttf"));
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), b"not a font").unwrap();
        assert!(matches!(
            CaptionFont::from_file(tmp.path()),
            Err(CaptionError::FontInvalid { .. })
        ));
    }
}
