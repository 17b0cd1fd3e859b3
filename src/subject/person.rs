//! The person segmenter: MediaPipe's selfie segmentation, a model trained on people only. It
//! sees a dark coat before a dark wall, which the salient-object matte loses; its edge is
//! coarse (256² for the whole picture), so it adds body to the matte rather than replacing it.

use image::{GrayImage, RgbaImage};
use tract_onnx::prelude::*;

use super::models::{VisionModelError, PERSON};

/// The model's fixed input side.
pub const SIDE: usize = 256;

pub struct PersonModel {
    plan: std::sync::Arc<TypedSimplePlan>,
    /// Like the matte, it runs before any video of a batch, so it may use every core.
    executor: tract_linalg::multithread::Executor,
}

impl PersonModel {
    /// Converts and loads the model from the bytes of its `.tflite` file (already checked).
    pub fn from_tflite(bytes: &[u8]) -> Result<PersonModel, VisionModelError> {
        let plan = super::models::tflite_plan(bytes, &PERSON, [1, SIDE, SIDE, 3])?;
        Ok(PersonModel {
            plan,
            executor: super::matte::all_cores(),
        })
    }

    /// Each pixel's chance of being a person, 0..255, at `SIDE`×`SIDE` over the whole image.
    pub fn run(&self, img: &RgbaImage) -> Result<GrayImage, VisionModelError> {
        let input = super::models::unit_nhwc(img, SIDE as u32);
        let fail = |e: TractError| VisionModelError::Load {
            name: PERSON.name,
            reason: format!("inference failed: {e:#}"),
        };
        let tensor = Tensor::from_shape(&[1, SIDE, SIDE, 3], &input).map_err(fail)?;
        let out = tract_linalg::multithread::multithread_tract_scope(self.executor.clone(), || {
            self.plan.run(tvec!(tensor.into()))
        })
        .map_err(fail)?;
        let values = out[0].to_plain_array_view::<f32>().map_err(fail)?;
        if values.len() != SIDE * SIDE {
            return Err(VisionModelError::Load {
                name: PERSON.name,
                reason: format!(
                    "output has {} values, expected {}",
                    values.len(),
                    SIDE * SIDE
                ),
            });
        }
        let values: Vec<f32> = values.iter().copied().collect();
        Ok(GrayImage::from_fn(SIDE as u32, SIDE as u32, |x, y| {
            let v = values[y as usize * SIDE + x as usize];
            image::Luma([(v * 255.0).round().clamp(0.0, 255.0) as u8])
        }))
    }
}

/// The salient-object `matte` with the person model's body added: wherever the person model
/// is more than half sure, stretched so that only what it is sure of counts as subject.
pub fn add_person(matte: &GrayImage, person: &GrayImage) -> GrayImage {
    let person = super::refine::resize_gray(person, matte.width(), matte.height());
    GrayImage::from_fn(matte.width(), matte.height(), |x, y| {
        let p = i32::from(person.get_pixel(x, y).0[0]);
        let sure = ((p - 128) * 2).clamp(0, 255) as u8;
        image::Luma([matte.get_pixel(x, y).0[0].max(sure)])
    })
}
