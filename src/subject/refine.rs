//! From the model's raw matte to a cut-out that can stand in a scene: one solid subject (small
//! specks dropped, small holes filled), an edge eroded a little and softened over a few
//! pixels, and edge colours replaced by the subject's own so that no fringe of the photo's old
//! background survives.

use image::{GrayImage, RgbaImage};

use super::FaceBox;

/// Bumped whenever a change here changes the cut-out of an image: refined cut-outs are
/// cached under it.
pub const VERSION: u32 = 2;

/// A component smaller than this share of the largest one is a speck, not a second subject.
const MIN_COMPONENT_SHARE: f32 = 0.15;
/// Background pockets smaller than this share of the image are holes in the subject.
const MAX_HOLE_SHARE: f32 = 0.004;
/// A pocket whose mean matte value reaches this is one the model is sure belongs to the
/// subject, whatever its colour.
const SURE_FOREGROUND: u8 = 230;
/// A pocket this close (mean RGB distance) to a backdrop colour is the backdrop showing
/// through, even where the model was sure.
const SAME_COLOUR: f32 = 12.0;

/// Widths of the edge, in pixels, for an image whose longer side is `side`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    erode: usize,
    soften: usize,
    /// Band inside the edge whose colours are replaced.
    clean: usize,
}

impl Edge {
    fn for_side(side: u32) -> Edge {
        let unit = (side as f32 / 512.0).max(0.5);
        Edge {
            erode: (1.0 * unit).round().max(1.0) as usize,
            soften: (1.5 * unit).round().max(1.0) as usize,
            clean: (3.0 * unit).round().max(2.0) as usize,
        }
    }
}

/// The subject cut out of `img`: colours cleaned at the edge, alpha the refined matte.
/// `raw` is the models' matte at any size; it is scaled to the image. With a `face`, a body
/// both models lost is restored from a torso shape.
pub fn cut_out(img: &RgbaImage, raw: &GrayImage, face: Option<&FaceBox>) -> RgbaImage {
    let (w, h) = img.dimensions();
    let matte = resize_gray(raw, w, h);
    let (mut mask, mut filled) = solid_mask(&matte);
    mark_background_pockets(img, &matte, &mask, &mut filled);
    if let Some(face) = face {
        complete_body(&mut mask, w as usize, h as usize, face);
        keep_face(&mut filled, w as usize, h as usize, face);
    }
    let edge = Edge::for_side(w.max(h));
    let core = erode(&mask, w as usize, h as usize, edge.erode);
    let alpha = soften(&core, w as usize, h as usize, edge.soften);
    let mut inner = erode(&core, w as usize, h as usize, edge.clean);
    // A filled hole shows the old background: its colours come from around it.
    for (m, &f) in inner.iter_mut().zip(&filled) {
        if f {
            *m = 0;
        }
    }
    let mut out = img.clone();
    decontaminate(&mut out, &inner, &alpha);
    for (p, &a) in out.pixels_mut().zip(&alpha) {
        p.0[3] = a;
    }
    out
}

/// Nothing inside the face is the old background: an eye socket or a nostril in shadow can
/// be as grey as the wall behind, or unsure in the matte, but repainting it leaves a flat
/// patch on the face.
fn keep_face(filled: &mut [bool], w: usize, h: usize, face: &FaceBox) {
    let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max);
    let (x0, x1) = (clamp(face.x, w), clamp(face.x + face.w, w));
    let (y0, y1) = (clamp(face.y, h), clamp(face.y + face.h, h));
    for y in y0..y1 {
        filled[y * w + x0..y * w + x1].fill(false);
    }
}

/// Bilinear resize of a gray image.
pub fn resize_gray(src: &GrayImage, w: u32, h: u32) -> GrayImage {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    if src.dimensions() == (w, h) {
        return src.clone();
    }
    let mut out = GrayImage::new(w, h);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    if Resizer::new().resize(src, &mut out, &options).is_err() {
        out = image::imageops::resize(src, w, h, image::imageops::FilterType::Triangle);
    }
    out
}

/// The matte made binary (at half), reduced to its main subject with small holes filled.
/// 1 marks the subject; the second vector marks the filled holes.
fn solid_mask(matte: &GrayImage) -> (Vec<u8>, Vec<bool>) {
    let (w, h) = (matte.width() as usize, matte.height() as usize);
    let mut mask: Vec<u8> = matte.as_raw().iter().map(|&v| u8::from(v >= 128)).collect();
    // Keep the largest component and any of comparable size.
    let (labels, sizes) = components(&mask, w, h, 1);
    if let Some(&largest) = sizes.iter().max() {
        let keep: Vec<bool> = sizes
            .iter()
            .map(|&s| s as f32 >= largest as f32 * MIN_COMPONENT_SHARE)
            .collect();
        for (m, &l) in mask.iter_mut().zip(&labels) {
            *m = u8::from(l != 0 && keep[l as usize - 1]);
        }
    }
    // Fill background pockets that are small and do not touch the border.
    let (labels, sizes) = components(&mask, w, h, 0);
    let touches = border_labels(&labels, w, h, sizes.len());
    let max_hole = (w * h) as f32 * MAX_HOLE_SHARE;
    let mut filled = vec![false; w * h];
    for ((m, &l), f) in mask.iter_mut().zip(&labels).zip(filled.iter_mut()) {
        if l != 0 && !touches[l as usize - 1] && (sizes[l as usize - 1] as f32) < max_hole {
            *m = 1;
            *f = true;
        }
    }
    (mask, filled)
}

/// Background colours the model let into the subject: small enclosed pockets inside the mask
/// whose colour is one of the backdrop's (sampled in a ring just outside the mask) are marked,
/// so they take the subject's colours around them: all where the model was unsure, and only
/// near-exact matches where it was sure. A grey steel collar before a grey wall keeps the
/// photo's colours; repainting it smears the subject.
fn mark_background_pockets(img: &RgbaImage, matte: &GrayImage, mask: &[u8], pocket: &mut [bool]) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let rgb = |i: usize| [raw[i * 4], raw[i * 4 + 1], raw[i * 4 + 2]].map(f32::from);
    let near = dilate(mask, w, h, 6);
    let ring: Vec<[f32; 3]> = (0..w * h)
        .filter(|&i| mask[i] == 0 && near[i] != 0)
        .map(rgb)
        .collect();
    let backdrop = kmeans(&ring, 4);
    if backdrop.is_empty() {
        return;
    }
    const CLOSE: f32 = 30.0;
    let distance: Vec<f32> = (0..w * h)
        .map(|i| {
            let c = rgb(i);
            backdrop
                .iter()
                .map(|b| (0..3).map(|k| (c[k] - b[k]).powi(2)).sum::<f32>())
                .fold(f32::MAX, f32::min)
                .sqrt()
        })
        .collect();
    let like_backdrop: Vec<u8> = (0..w * h)
        .map(|i| u8::from(mask[i] != 0 && distance[i] < CLOSE))
        .collect();
    // Only pockets inside: not touching the mask's own edge.
    let edge = erode(mask, w, h, 2);
    let (labels, sizes) = components(&like_backdrop, w, h, 1);
    let mut open = vec![false; sizes.len()];
    for i in 0..w * h {
        if labels[i] != 0 && edge[i] == 0 {
            open[labels[i] as usize - 1] = true;
        }
    }
    // Per pocket: the model's mean certainty and the mean distance from the backdrop.
    let mut certainty = vec![0u64; sizes.len()];
    let mut apart = vec![0f32; sizes.len()];
    for i in 0..w * h {
        if let Some(l) = (labels[i] as usize).checked_sub(1) {
            certainty[l] += u64::from(matte.as_raw()[i]);
            apart[l] += distance[i];
        }
    }
    let max = (w * h) as f32 * MAX_HOLE_SHARE;
    // The backdrop itself, matched almost exactly, goes whatever the model thought.
    let repaint = |l: usize| {
        certainty[l] < u64::from(SURE_FOREGROUND) * sizes[l] as u64
            || apart[l] < SAME_COLOUR * sizes[l] as f32
    };
    for i in 0..w * h {
        let l = labels[i] as usize;
        if l != 0 && !open[l - 1] && (sizes[l - 1] as f32) < max && repaint(l - 1) {
            pocket[i] = true;
        }
    }
}

/// Square maximum filter of radius `r` over a 0/1 mask.
pub(crate) fn dilate(mask: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let inverted: Vec<u8> = mask.iter().map(|&m| 1 - m.min(1)).collect();
    erode(&inverted, w, h, r).iter().map(|&m| 1 - m).collect()
}

/// A few rounds of k-means: the main colours of `samples`.
fn kmeans(samples: &[[f32; 3]], k: usize) -> Vec<[f32; 3]> {
    if samples.is_empty() {
        return Vec::new();
    }
    let mut centres: Vec<[f32; 3]> = (0..k).map(|i| samples[i * samples.len() / k]).collect();
    for _ in 0..6 {
        let mut sums = vec![([0f32; 3], 0usize); k];
        for s in samples {
            let nearest = (0..k)
                .min_by(|&a, &b| dist2(s, &centres[a]).total_cmp(&dist2(s, &centres[b])))
                .unwrap_or(0);
            for (sum, v) in sums[nearest].0.iter_mut().zip(s) {
                *sum += v;
            }
            sums[nearest].1 += 1;
        }
        for (centre, (sum, n)) in centres.iter_mut().zip(sums) {
            if n > 0 {
                *centre = sum.map(|v| v / n as f32);
            }
        }
    }
    centres
}

fn dist2(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    (0..3).map(|k| (a[k] - b[k]).powi(2)).sum()
}

/// Below the chin the matte should hold a neck and shoulders. When it holds less than
/// a quarter of a torso shape (the model kept only the head), the shape is added: a neck, shoulders
/// widening to about three face widths, and the body straight down to the image's bottom.
fn complete_body(mask: &mut [u8], w: usize, h: usize, face: &FaceBox) {
    let cx = face.x + face.w / 2.0;
    let chin = face.y + face.h;
    let half_width = |y: f32| -> Option<f32> {
        let d = (y - chin) / face.h;
        if d < -0.1 {
            None
        } else if d < 0.35 {
            Some(0.3 * face.w)
        } else if d < 1.1 {
            let t = (d - 0.35) / 0.75;
            Some((0.3 + (1.4 - 0.3) * t * t.mul_add(-0.5, 1.5)) * face.w)
        } else {
            Some(1.4 * face.w)
        }
    };
    let inside = |x: usize, y: usize| {
        half_width(y as f32 + 0.5).is_some_and(|hw| (x as f32 + 0.5 - cx).abs() <= hw)
    };
    // Judge by the shoulders and chest, below the neck.
    let from = ((chin + 0.5 * face.h).max(0.0) as usize).min(h);
    let (mut shape, mut kept) = (0usize, 0usize);
    for y in from..h {
        for x in 0..w {
            if inside(x, y) {
                shape += 1;
                kept += usize::from(mask[y * w + x] != 0);
            }
        }
    }
    if shape == 0 || kept * 4 >= shape {
        return;
    }
    let top = ((chin - 0.1 * face.h).max(0.0) as usize).min(h);
    for y in top..h {
        for x in 0..w {
            if inside(x, y) {
                mask[y * w + x] = 1;
            }
        }
    }
}

/// 4-connected components of the pixels equal to `value`: a label per pixel (0 = other
/// value) and each label's size.
pub(crate) fn components(mask: &[u8], w: usize, h: usize, value: u8) -> (Vec<u32>, Vec<usize>) {
    let mut labels = vec![0u32; w * h];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if mask[start] != value || labels[start] != 0 {
            continue;
        }
        let label = sizes.len() as u32 + 1;
        let mut size = 0;
        labels[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if mask[j] == value && labels[j] == 0 {
                    labels[j] = label;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        sizes.push(size);
    }
    (labels, sizes)
}

fn border_labels(labels: &[u32], w: usize, h: usize, count: usize) -> Vec<bool> {
    let mut touches = vec![false; count];
    let mut mark = |i: usize| {
        if labels[i] != 0 {
            touches[labels[i] as usize - 1] = true;
        }
    };
    for x in 0..w {
        mark(x);
        mark((h - 1) * w + x);
    }
    for y in 0..h {
        mark(y * w);
        mark(y * w + w - 1);
    }
    touches
}

/// Square minimum filter of radius `r` over a 0/1 mask (separable). Pixels on the image's
/// border stay as they are, so a body cut by the photo's frame stays cut straight.
fn erode(mask: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let mut tmp = mask.to_vec();
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            tmp[y * w + x] = row[a..=b].iter().copied().min().unwrap_or(0);
        }
    }
    let mut out = tmp.clone();
    for x in 0..w {
        for y in 0..h {
            let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
            out[y * w + x] = (a..=b).map(|yy| tmp[yy * w + x]).min().unwrap_or(0);
        }
    }
    out
}

/// A 0/1 mask blurred into 0..255 alpha by two box passes of radius `r`.
fn soften(mask: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let mut v: Vec<f32> = mask.iter().map(|&m| f32::from(m) * 255.0).collect();
    for _ in 0..2 {
        v = box_blur(&v, w, h, r);
    }
    v.iter()
        .map(|&a| a.round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// Separable box blur of radius `r`, edges clamped.
pub(crate) fn box_blur(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    if r == 0 {
        return src.to_vec();
    }
    let n = (2 * r + 1) as f32;
    let mut tmp = vec![0f32; w * h];
    // Horizontal: each row's running sum is a chain of dependent adds, so four rows go
    // side by side to keep the core busy.
    let mut bands = tmp.chunks_exact_mut(4 * w.max(1));
    for (i, band) in bands.by_ref().enumerate() {
        running_sums::<4>(&src[4 * i * w..][..4 * w], band, w, r, n);
    }
    let done = h / 4 * 4;
    for (y, row) in bands
        .into_remainder()
        .chunks_exact_mut(w.max(1))
        .enumerate()
    {
        running_sums::<1>(&src[(done + y) * w..][..w], row, w, r, n);
    }
    vertical_sums(&tmp, w, h, r, n)
}

/// The vertical box sums of a `w`×`h` plane: running sums for a whole row at a time, so
/// memory is read in order.
fn vertical_sums(tmp: &[f32], w: usize, h: usize, r: usize, n: f32) -> Vec<f32> {
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &tmp[y * w..(y + 1) * w]
    };
    let mut sums = vec![0f32; w];
    for k in -(r as isize)..=r as isize {
        for (s, &v) in sums.iter_mut().zip(row(k)) {
            *s += v;
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for (o, &s) in out[y * w..(y + 1) * w].iter_mut().zip(&sums) {
            *o = s / n;
        }
        let (add, sub) = (
            row(y as isize + r as isize + 1),
            row(y as isize - r as isize),
        );
        for ((s, &a), &b) in sums.iter_mut().zip(add).zip(sub) {
            *s += a - b;
        }
    }
    out
}

/// The horizontal box sums of `K` rows of width `w` at once, edges clamped.
fn running_sums<const K: usize>(src: &[f32], out: &mut [f32], w: usize, r: usize, n: f32) {
    let rows: [&[f32]; K] = std::array::from_fn(|k| &src[k * w..][..w]);
    let mut sums: [f32; K] = std::array::from_fn(|k| {
        let at = |x: isize| rows[k][x.clamp(0, w as isize - 1) as usize];
        (-(r as isize)..=r as isize).map(at).sum()
    });
    for x in 0..w {
        let (add, sub) = ((x + r + 1).min(w - 1), x.saturating_sub(r));
        for k in 0..K {
            out[k * w + x] = sums[k] / n;
            sums[k] += rows[k][add] - rows[k][sub];
        }
    }
}

/// Gives every visible pixel outside `inner` the colour of the subject next to it: colours
/// grow outward from the inner core one ring at a time (each new pixel the mean of its known
/// neighbours), so the photo's old background leaves no fringe.
fn decontaminate(img: &mut RgbaImage, inner: &[u8], alpha: &[u8]) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut known: Vec<bool> = inner.iter().map(|&m| m != 0).collect();
    if !known.iter().any(|&k| k) {
        return;
    }
    let mut todo: Vec<usize> = (0..w * h).filter(|&i| alpha[i] > 0 && !known[i]).collect();
    let raw = img.as_mut();
    let mut ring = Vec::new();
    while !todo.is_empty() {
        ring.clear();
        for &i in &todo {
            let (x, y) = (i % w, i / w);
            let mut sum = [0u32; 3];
            let mut n = 0;
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (nx, ny) = (x as isize + dx, y as isize + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if known[j] {
                        for c in 0..3 {
                            sum[c] += u32::from(raw[j * 4 + c]);
                        }
                        n += 1;
                    }
                }
            }
            if n > 0 {
                ring.push((i, sum.map(|s| ((s + n / 2) / n) as u8)));
            }
        }
        if ring.is_empty() {
            // Pixels cut off from the core (specks): leave them.
            break;
        }
        for &(i, rgb) in &ring {
            raw[i * 4..i * 4 + 3].copy_from_slice(&rgb);
            known[i] = true;
        }
        todo.retain(|&i| !known[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, Rgba};

    /// A red disc on green, and a matte that marks the disc plus a speck and a hole.
    fn disc() -> (RgbaImage, GrayImage) {
        let img = RgbaImage::from_fn(100, 100, |x, y| {
            let d = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
            if d < 30.0 {
                Rgba([200, 40, 40, 255])
            } else {
                Rgba([0, 255, 0, 255])
            }
        });
        let matte = GrayImage::from_fn(100, 100, |x, y| {
            let d = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
            let speck = (5..8).contains(&x) && (5..8).contains(&y);
            let hole = (48..51).contains(&x) && (48..51).contains(&y);
            Luma([if (d < 31.0 && !hole) || speck { 255 } else { 0 }])
        });
        (img, matte)
    }

    #[test]
    fn specks_go_and_holes_fill() {
        let (img, matte) = disc();
        let out = cut_out(&img, &matte, None);
        assert_eq!(out.get_pixel(6, 6).0[3], 0, "speck dropped");
        assert_eq!(out.get_pixel(49, 49).0[3], 255, "hole filled");
    }

    #[test]
    fn no_background_colour_survives_in_visible_pixels() {
        let (img, matte) = disc();
        let out = cut_out(&img, &matte, None);
        for p in out.pixels() {
            if p.0[3] > 0 {
                assert!(p.0[1] < 100, "green fringe: {p:?}");
            }
        }
        // Soft edge: some pixels are neither fully in nor out.
        assert!(out.pixels().any(|p| p.0[3] > 20 && p.0[3] < 235));
    }

    #[test]
    fn a_backdrop_coloured_part_the_model_is_sure_of_keeps_its_colours() {
        // A red disc with a steel-grey collar in it, on a grey backdrop.
        let collar = |x: u32, y: u32| (47..53).contains(&x) && (47..53).contains(&y);
        let image = |steel: [u8; 3]| {
            RgbaImage::from_fn(100, 100, |x, y| {
                let d = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
                match (d < 30.0, collar(x, y)) {
                    (true, true) => Rgba([steel[0], steel[1], steel[2], 255]),
                    (true, false) => Rgba([200, 40, 40, 255]),
                    _ => Rgba([128, 128, 128, 255]),
                }
            })
        };
        let matte = |collar_value: u8| {
            GrayImage::from_fn(100, 100, |x, y| {
                let d = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
                Luma([match (d < 30.0, collar(x, y)) {
                    (true, true) => collar_value,
                    (true, false) => 255,
                    _ => 0,
                }])
            })
        };
        let repainted = |p: [u8; 4]| p[0] > 160 && p[1] < 80;
        // Near the backdrop's grey, but steel: kept where the model is sure.
        let steel = [140, 136, 146];
        let sure = cut_out(&image(steel), &matte(255), None);
        assert_eq!(sure.get_pixel(50, 50).0, [140, 136, 146, 255], "kept");
        let unsure = cut_out(&image(steel), &matte(170), None);
        let p = unsure.get_pixel(50, 50).0;
        assert!(repainted(p), "unsure: repainted from around it: {p:?}");
        // The backdrop's very colour goes even where the model is sure.
        let p = cut_out(&image([128, 128, 128]), &matte(255), None)
            .get_pixel(50, 50)
            .0;
        assert!(repainted(p), "backdrop showing through: {p:?}");
    }

    #[test]
    fn a_grey_eye_inside_the_face_keeps_its_colours_though_it_matches_the_wall() {
        // A skin disc on a grey wall, with an "eye socket" of the wall's very grey, which the
        // model was unsure of: outside a face it would be repainted as background.
        let eye = |x: u32, y: u32| (44..50).contains(&x) && (46..50).contains(&y);
        let img = RgbaImage::from_fn(100, 100, |x, y| {
            let d = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
            match (d < 30.0, eye(x, y)) {
                (true, true) => Rgba([128, 128, 128, 255]),
                (true, false) => Rgba([210, 170, 140, 255]),
                _ => Rgba([128, 128, 128, 255]),
            }
        });
        let matte = GrayImage::from_fn(100, 100, |x, y| {
            let d = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
            Luma([match (d < 30.0, eye(x, y)) {
                (true, true) => 90,
                (true, false) => 255,
                _ => 0,
            }])
        });
        let face = FaceBox {
            x: 30.0,
            y: 30.0,
            w: 40.0,
            h: 40.0,
            score: 0.9,
            keypoints: [[0.0; 2]; 6],
        };
        let without = cut_out(&img, &matte, None).get_pixel(46, 47).0;
        assert!(without[0] > 180, "no face: repainted as skin {without:?}");
        let with = cut_out(&img, &matte, Some(&face)).get_pixel(46, 47).0;
        assert_eq!(with, [128, 128, 128, 255], "in the face: kept");
    }

    #[test]
    fn a_lost_body_is_restored_below_the_face_and_a_kept_one_is_left_alone() {
        let img = RgbaImage::from_pixel(200, 200, Rgba([30, 30, 30, 255]));
        let face = FaceBox {
            x: 80.0,
            y: 30.0,
            w: 40.0,
            h: 40.0,
            score: 0.9,
            keypoints: [[0.0; 2]; 6],
        };
        // Only the head.
        let head = GrayImage::from_fn(200, 200, |x, y| {
            let d = ((x as f32 - 100.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt();
            Luma([if d < 25.0 { 255 } else { 0 }])
        });
        let out = cut_out(&img, &head, Some(&face));
        assert_eq!(out.get_pixel(100, 190).0[3], 255, "chest restored");
        assert_eq!(out.get_pixel(5, 190).0[3], 0, "not the whole width");
        // A matte that has the body keeps its own outline.
        let body = GrayImage::from_fn(200, 200, |x, y| {
            Luma([
                if head.get_pixel(x, y).0[0] > 0 || (y > 70 && (60..140).contains(&x)) {
                    255
                } else {
                    0
                },
            ])
        });
        let out = cut_out(&img, &body, Some(&face));
        assert_eq!(out.get_pixel(50, 190).0[3], 0, "outline kept");
    }

    #[test]
    fn an_empty_matte_gives_an_empty_cut_out_not_a_panic() {
        let img = RgbaImage::from_pixel(40, 30, Rgba([1, 2, 3, 255]));
        let out = cut_out(&img, &GrayImage::new(10, 10), None);
        assert!(out.pixels().all(|p| p.0[3] == 0));
    }

    #[test]
    fn box_blur_gives_the_bits_of_one_running_sum_per_row() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for (w, h, r) in [(37, 23, 3), (64, 9, 1), (5, 6, 7), (1, 5, 2)] {
            let src: Vec<f32> = (0..w * h).map(|_| rng.random_range(0.0..255.0)).collect();
            // The plain horizontal pass, one row at a time.
            let n = (2 * r + 1) as f32;
            let mut tmp = vec![0f32; w * h];
            for y in 0..h {
                let row = &src[y * w..(y + 1) * w];
                let at = |x: isize| row[x.clamp(0, w as isize - 1) as usize];
                let mut sum: f32 = (-(r as isize)..=r as isize).map(at).sum();
                for x in 0..w {
                    tmp[y * w + x] = sum / n;
                    sum += at(x as isize + r as isize + 1) - at(x as isize - r as isize);
                }
            }
            let expected: Vec<u32> = vertical_sums(&tmp, w, h, r, n)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            let got: Vec<u32> = box_blur(&src, w, h, r)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            assert_eq!(got, expected, "{w}×{h}, radius {r}");
        }
    }
}
