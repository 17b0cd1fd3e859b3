//! The person matte: U²-Net-p, run with tract, gives each pixel's chance of being the
//! subject. It is a salient-object model, so what it returns is raw: [`super::refine`]
//! turns it into a clean cut-out.

use std::io::Cursor;

use image::{GrayImage, RgbaImage};
use tract_onnx::prelude::*;

use super::models::{VisionModelError, U2NETP};

/// The model's fixed input side.
pub const SIDE: usize = 320;
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

type Plan = std::sync::Arc<TypedSimplePlan>;

/// U²-Net's upsampling uses `pytorch_half_pixel`, which tract does not name; it differs from
/// `half_pixel` only for an output length of 1, which U²-Net never produces.
fn half_pixel_resizes(proto: &mut tract_onnx::pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    for node in graph.node.iter_mut().filter(|n| n.op_type == "Resize") {
        for attr in node.attribute.iter_mut() {
            if attr.name == "coordinate_transformation_mode" && attr.s == b"pytorch_half_pixel" {
                attr.s = b"half_pixel".to_vec();
            }
        }
    }
}

/// A tract executor on every core (one thread on a single core).
pub fn all_cores() -> tract_linalg::multithread::Executor {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores > 1 {
        tract_linalg::multithread::Executor::multithread(cores)
    } else {
        tract_linalg::multithread::Executor::SingleThread
    }
}

/// A loaded matte model.
pub struct MatteModel {
    plan: Plan,
    /// The matte runs before any video of a batch, so it may use every core.
    executor: tract_linalg::multithread::Executor,
}

impl MatteModel {
    /// Builds the model from the bytes of `u2netp.onnx` (already checked).
    pub fn from_bytes(bytes: &[u8]) -> Result<MatteModel, VisionModelError> {
        let load = |e: TractError| VisionModelError::Load {
            name: U2NETP.name,
            reason: format!("{e:#}"),
        };
        let onnx = tract_onnx::onnx();
        let mut proto = onnx
            .proto_model_for_read(&mut Cursor::new(bytes))
            .map_err(load)?;
        half_pixel_resizes(&mut proto);
        let plan = onnx
            .model_for_proto_model(&proto)
            .map_err(load)?
            .with_input_fact(0, f32::fact([1, 3, SIDE, SIDE]).into())
            .map_err(load)?
            .into_optimized()
            .map_err(load)?
            .into_runnable()
            .map_err(load)?;
        Ok(MatteModel {
            plan,
            executor: all_cores(),
        })
    }

    /// The raw matte of `img` at `SIDE`×`SIDE`, 0 (background) to 255 (subject).
    pub fn run(&self, img: &RgbaImage) -> Result<GrayImage, VisionModelError> {
        let small = crate::compose::resize(img, SIDE as u32, SIDE as u32);
        let max = small
            .pixels()
            .flat_map(|p| [p.0[0], p.0[1], p.0[2]])
            .max()
            .unwrap_or(0)
            .max(1) as f32;
        let mut input = vec![0f32; 3 * SIDE * SIDE];
        for (i, p) in small.pixels().enumerate() {
            for c in 0..3 {
                input[c * SIDE * SIDE + i] = (f32::from(p.0[c]) / max - MEAN[c]) / STD[c];
            }
        }
        let run = |e: TractError| VisionModelError::Load {
            name: U2NETP.name,
            reason: format!("inference failed: {e:#}"),
        };
        let tensor = Tensor::from_shape(&[1, 3, SIDE, SIDE], &input).map_err(run)?;
        let out = tract_linalg::multithread::multithread_tract_scope(self.executor.clone(), || {
            self.plan.run(tvec!(tensor.into()))
        })
        .map_err(run)?;
        let pred = out[0].to_plain_array_view::<f32>().map_err(run)?;
        let values: Vec<f32> = pred.iter().copied().collect();
        if values.len() != SIDE * SIDE {
            return Err(VisionModelError::Load {
                name: U2NETP.name,
                reason: format!(
                    "output has {} values, expected {}",
                    values.len(),
                    SIDE * SIDE
                ),
            });
        }
        // rembg's normalisation: the model's own range stretched to 0..1.
        let (lo, hi) = values
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let span = (hi - lo).max(1e-6);
        Ok(GrayImage::from_fn(SIDE as u32, SIDE as u32, |x, y| {
            let v = (values[y as usize * SIDE + x as usize] - lo) / span;
            image::Luma([(v * 255.0).round().clamp(0.0, 255.0) as u8])
        }))
    }
}
