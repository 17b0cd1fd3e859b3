//! Face landmarks: MediaPipe's FaceMesh (468 points), converted from TFLite and run with tract
//! on a square crop around the detected face. Only the mouth is kept: it is what the mouth
//! animation moves.

use image::RgbaImage;
use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

use super::face::FaceBox;
use super::models::{VisionModelError, FACE_MESH};

const SIDE: usize = 192;
/// The crop around the face box, as MediaPipe takes it: 1.5 times its larger side.
const CROP: f32 = 1.5;
/// Below this presence score the crop holds no face the mesh can trust.
const MIN_PRESENCE: f32 = 0.5;

/// FaceMesh's inner lip contours, corner to corner (61 … 291 on the image's left to right).
const INNER_UPPER: [usize; 11] = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
const INNER_LOWER: [usize; 11] = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];
const CORNERS: [usize; 2] = [61, 291];
const CHIN: usize = 152;

/// The mouth in image pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mouth {
    /// Outer corners, image-left first.
    pub corners: [[f32; 2]; 2],
    /// The inner edge of the upper and lower lip, corner to corner.
    pub upper: Vec<[f32; 2]>,
    pub lower: Vec<[f32; 2]>,
    /// The bottom of the chin.
    pub chin: [f32; 2],
}

impl Mouth {
    pub fn width(&self) -> f32 {
        (self.corners[1][0] - self.corners[0][0]).abs().max(1.0)
    }

    /// The same mouth with every point mapped by `f`.
    pub fn map(&self, f: impl Fn([f32; 2]) -> [f32; 2]) -> Mouth {
        Mouth {
            corners: self.corners.map(&f),
            upper: self.upper.iter().map(|&p| f(p)).collect(),
            lower: self.lower.iter().map(|&p| f(p)).collect(),
            chin: f(self.chin),
        }
    }
}

type Plan = std::sync::Arc<TypedSimplePlan>;

pub struct FaceMesh {
    plan: Plan,
}

impl FaceMesh {
    /// Converts and loads FaceMesh from the bytes of its `.tflite` file (already checked).
    pub fn from_tflite(bytes: &[u8]) -> Result<FaceMesh, VisionModelError> {
        let plan = super::models::tflite_plan(bytes, &FACE_MESH, [1, SIDE, SIDE, 3])?;
        Ok(FaceMesh { plan })
    }

    /// The mouth of the face in `face`, or `None` when the mesh finds no face there.
    pub fn mouth(
        &self,
        img: &RgbaImage,
        face: &FaceBox,
    ) -> Result<Option<Mouth>, VisionModelError> {
        let side = (CROP * face.w.max(face.h)).round().max(8.0);
        let [cx, cy] = face.center();
        let (x0, y0) = ((cx - side / 2.0).round(), (cy - side / 2.0).round());
        // The crop, black outside the image, straight to the model's input size.
        let mut crop = RgbaImage::from_pixel(side as u32, side as u32, image::Rgba([0, 0, 0, 255]));
        image::imageops::overlay(&mut crop, img, -(x0 as i64), -(y0 as i64));
        let input = super::models::unit_nhwc(&crop, SIDE as u32);
        let fail = |e: TractError| VisionModelError::Load {
            name: FACE_MESH.name,
            reason: format!("inference failed: {e:#}"),
        };
        let tensor = Tensor::from_shape(&[1, SIDE, SIDE, 3], &input).map_err(fail)?;
        let out = self.plan.run(tvec!(tensor.into())).map_err(fail)?;
        let (mut points, mut presence) = (None, None);
        for t in out.iter() {
            let values: Vec<f32> = t
                .to_plain_array_view::<f32>()
                .map_err(fail)?
                .iter()
                .copied()
                .collect();
            match values.len() {
                1404 => points = Some(values),
                1 => presence = Some(1.0 / (1.0 + (-values[0].clamp(-100.0, 100.0)).exp())),
                _ => {}
            }
        }
        let (Some(points), Some(presence)) = (points, presence) else {
            return Err(VisionModelError::Load {
                name: FACE_MESH.name,
                reason: "the model's outputs are not 468 landmarks and a presence score".into(),
            });
        };
        if presence < MIN_PRESENCE {
            return Ok(None);
        }
        let scale = side / SIDE as f32;
        let at = |i: usize| [x0 + points[i * 3] * scale, y0 + points[i * 3 + 1] * scale];
        Ok(Some(Mouth {
            corners: CORNERS.map(at),
            upper: INNER_UPPER.iter().map(|&i| at(i)).collect(),
            lower: INNER_LOWER.iter().map(|&i| at(i)).collect(),
            chin: at(CHIN),
        }))
    }
}
