//! Face detection: MediaPipe's BlazeFace (short range), converted from TFLite and run with
//! tract. The image is letterboxed to a square, so faces keep their shape; boxes and the six
//! keypoints come back in the image's own pixels.

use image::{GrayImage, RgbaImage};
use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

use super::models::{VisionModelError, FACE_DETECTOR};

const SIDE: usize = 128;
const ANCHORS: usize = 896;
/// Detections below this confidence are ignored.
const MIN_SCORE: f32 = 0.5;
/// Boxes overlapping more than this are one face.
const NMS_IOU: f32 = 0.3;

/// A face found in an image, in that image's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub score: f32,
    /// Right eye, left eye, nose tip, mouth centre, right ear, left ear (the subject's own
    /// right and left).
    pub keypoints: [[f32; 2]; 6],
}

impl FaceBox {
    pub fn center(&self) -> [f32; 2] {
        [self.x + self.w / 2.0, self.y + self.h / 2.0]
    }

    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    fn iou(&self, o: &FaceBox) -> f32 {
        let ix = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let iy = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        let inter = ix.max(0.0) * iy.max(0.0);
        let union = self.area() + o.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }
}

type Plan = std::sync::Arc<TypedSimplePlan>;

pub struct FaceDetector {
    plan: Plan,
    anchors: Vec<[f32; 2]>,
}

impl FaceDetector {
    /// Converts and loads the detector from the bytes of its `.tflite` file (already checked).
    pub fn from_tflite(bytes: &[u8]) -> Result<FaceDetector, VisionModelError> {
        let plan = super::models::tflite_plan(bytes, &FACE_DETECTOR, [1, SIDE, SIDE, 3])?;
        Ok(FaceDetector {
            plan,
            anchors: anchors(),
        })
    }

    /// The faces in `img`, largest first.
    pub fn detect(&self, img: &RgbaImage) -> Result<Vec<FaceBox>, VisionModelError> {
        let (w, h) = img.dimensions();
        let side = w.max(h);
        // Letterbox: the image centred on black, then scaled to the model's input.
        let (pad_x, pad_y) = ((side - w) / 2, (side - h) / 2);
        let mut square = RgbaImage::from_pixel(side, side, image::Rgba([0, 0, 0, 255]));
        image::imageops::overlay(&mut square, img, i64::from(pad_x), i64::from(pad_y));
        let small = crate::compose::resize(&square, SIDE as u32, SIDE as u32);
        let input: Vec<f32> = small
            .pixels()
            .flat_map(|p| [p.0[0], p.0[1], p.0[2]])
            .map(|v| f32::from(v) / 127.5 - 1.0)
            .collect();
        let fail = |e: TractError| VisionModelError::Load {
            name: FACE_DETECTOR.name,
            reason: format!("inference failed: {e:#}"),
        };
        let tensor = Tensor::from_shape(&[1, SIDE, SIDE, 3], &input).map_err(fail)?;
        let out = self.plan.run(tvec!(tensor.into())).map_err(fail)?;
        let (mut boxes, mut scores): (Option<Vec<f32>>, Option<Vec<f32>>) = (None, None);
        for t in out.iter() {
            let view = t.to_plain_array_view::<f32>().map_err(fail)?;
            let values: Vec<f32> = view.iter().copied().collect();
            match values.len() {
                n if n == ANCHORS * 16 => boxes = Some(values),
                n if n == ANCHORS => scores = Some(values),
                _ => {}
            }
        }
        let (Some(boxes), Some(scores)) = (boxes, scores) else {
            return Err(VisionModelError::Load {
                name: FACE_DETECTOR.name,
                reason: "the model's outputs are not 896×16 boxes and 896 scores".into(),
            });
        };
        let mut faces = decode(&boxes, &scores, &self.anchors);
        // Back from the letterboxed square to image pixels.
        let (ox, oy, s) = (pad_x as f32, pad_y as f32, side as f32);
        for f in &mut faces {
            f.x = f.x * s - ox;
            f.y = f.y * s - oy;
            f.w *= s;
            f.h *= s;
            for k in &mut f.keypoints {
                k[0] = k[0] * s - ox;
                k[1] = k[1] * s - oy;
            }
        }
        faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
        Ok(faces)
    }

    /// The faces within the square `[x, y, side]` of `img`, in `img`'s pixels.
    pub fn detect_within(
        &self,
        img: &RgbaImage,
        [x, y, side]: [u32; 3],
    ) -> Result<Vec<FaceBox>, VisionModelError> {
        let crop = image::imageops::crop_imm(img, x, y, side, side).to_image();
        let mut faces = self.detect(&crop)?;
        for f in &mut faces {
            f.x += x as f32;
            f.y += y as f32;
            for k in &mut f.keypoints {
                k[0] += x as f32;
                k[1] += y as f32;
            }
        }
        Ok(faces)
    }
}

/// Where to look again for a face that was too small in the whole picture (a person seen
/// full length): a square over the top of the subject in `matte` (any size, stretched over
/// an image of `size`), `share` of the subject's narrower side on a side, centred on the
/// top of its outline. `None` when the matte holds no subject or the square would be under
/// 16 pixels.
pub fn head_region(matte: &GrayImage, size: (u32, u32), share: f32) -> Option<[u32; 3]> {
    let (mw, mh) = matte.dimensions();
    let inside = |x: u32, y: u32| matte.get_pixel(x, y).0[0] >= 128;
    let rows: Vec<u32> = (0..mh).filter(|&y| (0..mw).any(|x| inside(x, y))).collect();
    let (&top, &bottom) = (rows.first()?, rows.last()?);
    let cols: Vec<u32> = (0..mw)
        .filter(|&x| (top..=bottom).any(|y| inside(x, y)))
        .collect();
    let (&left, &right) = (cols.first()?, cols.last()?);
    let (sx, sy) = (size.0 as f32 / mw as f32, size.1 as f32 / mh as f32);
    let (width, height) = (
        (right - left + 1) as f32 * sx,
        (bottom - top + 1) as f32 * sy,
    );
    let side = (share * width.min(height)).min(size.0.min(size.1) as f32);
    if side < 16.0 {
        return None;
    }
    // The head: the outline's middle over its top rows, a third of the square deep.
    let band = top + ((side / 3.0 / sy).ceil() as u32).max(1);
    let (mut sum, mut n) = (0f32, 0f32);
    for y in top..band.min(mh) {
        for x in (left..=right).filter(|&x| inside(x, y)) {
            sum += x as f32 + 0.5;
            n += 1.0;
        }
    }
    let centre = sum / n.max(1.0) * sx;
    let x = (centre - side / 2.0).clamp(0.0, size.0 as f32 - side);
    let y = (top as f32 * sy - 0.15 * side).clamp(0.0, size.1 as f32 - side);
    Some([x as u32, y as u32, side as u32])
}

/// The short-range model's 896 anchor centres: 16×16 cells with 2 anchors (stride 8), then
/// 8×8 cells with 6 (three layers of stride 16).
fn anchors() -> Vec<[f32; 2]> {
    let mut out = Vec::with_capacity(ANCHORS);
    for (cells, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..cells {
            for x in 0..cells {
                let c = [
                    (x as f32 + 0.5) / cells as f32,
                    (y as f32 + 0.5) / cells as f32,
                ];
                out.extend(std::iter::repeat_n(c, per_cell));
            }
        }
    }
    out
}

/// Raw regressors and scores → faces in 0..1 square coordinates, after weighted
/// non-maximum suppression (overlapping detections are averaged by score, as MediaPipe does).
fn decode(boxes: &[f32], scores: &[f32], anchors: &[[f32; 2]]) -> Vec<FaceBox> {
    let scale = SIDE as f32;
    let mut found: Vec<FaceBox> = Vec::new();
    for (i, a) in anchors.iter().enumerate() {
        let score = 1.0 / (1.0 + (-scores[i].clamp(-100.0, 100.0)).exp());
        let r = &boxes[i * 16..(i + 1) * 16];
        // NaN scores and degenerate boxes are not faces (and would never group below).
        let usable =
            score >= MIN_SCORE && r.iter().all(|v| v.is_finite()) && r[2] > 0.0 && r[3] > 0.0;
        if !usable {
            continue;
        }
        let (cx, cy) = (r[0] / scale + a[0], r[1] / scale + a[1]);
        let (w, h) = (r[2] / scale, r[3] / scale);
        let mut keypoints = [[0f32; 2]; 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = [r[4 + 2 * k] / scale + a[0], r[5 + 2 * k] / scale + a[1]];
        }
        found.push(FaceBox {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w,
            h,
            score,
            keypoints,
        });
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut faces = Vec::new();
    while let Some(first) = found.first().copied() {
        let (mut group, rest): (Vec<FaceBox>, Vec<FaceBox>) = found
            .into_iter()
            .skip(1)
            .partition(|f| f.iou(&first) > NMS_IOU);
        group.insert(0, first);
        found = rest;
        let total: f32 = group.iter().map(|f| f.score).sum();
        let avg = |get: &dyn Fn(&FaceBox) -> f32| {
            group.iter().map(|f| get(f) * f.score).sum::<f32>() / total
        };
        let mut face = FaceBox {
            x: avg(&|f| f.x),
            y: avg(&|f| f.y),
            w: avg(&|f| f.w),
            h: avg(&|f| f.h),
            score: first.score,
            keypoints: first.keypoints,
        };
        for k in 0..6 {
            face.keypoints[k] = [avg(&|f| f.keypoints[k][0]), avg(&|f| f.keypoints[k][1])];
        }
        faces.push(face);
    }
    faces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_896_anchors_on_the_grid() {
        let a = anchors();
        assert_eq!(a.len(), ANCHORS);
        assert_eq!(a[0], [1.0 / 32.0, 1.0 / 32.0]);
        assert_eq!(a[512], [1.0 / 16.0, 1.0 / 16.0]);
    }

    #[test]
    fn the_head_region_is_a_square_over_the_top_of_the_outline() {
        // A figure standing in a 200×400 picture, seen through a 100² matte: a head at
        // x 40..60 over a body at 30..70, from y 20 down to the bottom.
        let matte = GrayImage::from_fn(100, 100, |x, y| {
            let head = (40..60).contains(&x) && (20..30).contains(&y);
            let body = (30..70).contains(&x) && y >= 30;
            image::Luma([if head || body { 255 } else { 0 }])
        });
        let [x, y, side] = head_region(&matte, (200, 400), 0.5).unwrap();
        // The figure is 80 px wide: a 40 px square centred on the head (x 100), reaching a
        // little above it (y 80).
        assert_eq!(side, 40);
        assert_eq!(x, 80);
        assert_eq!(y, 74);
        assert!(head_region(&GrayImage::new(100, 100), (200, 400), 0.5).is_none());
    }

    #[test]
    fn overlapping_detections_merge_and_weak_ones_drop() {
        let a = anchors();
        let mut boxes = vec![0f32; ANCHORS * 16];
        let mut scores = vec![-10f32; ANCHORS];
        // Two strong neighbours describing one 32 px face, one weak far away.
        for (i, score) in [(600usize, 3.0f32), (601, 2.0), (10, -1.0)] {
            boxes[i * 16 + 2] = 32.0;
            boxes[i * 16 + 3] = 32.0;
            scores[i] = score;
        }
        let faces = decode(&boxes, &scores, &a);
        assert_eq!(faces.len(), 1);
        assert!((faces[0].w - 0.25).abs() < 1e-4);
        assert!(faces[0].score > 0.9);
    }
}
