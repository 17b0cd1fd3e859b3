//! The person segmenter: MediaPipe's selfie segmentation, a model trained on people only. It
//! sees a dark coat before a dark wall, which the salient-object matte loses, and does not see
//! a tripod or a chair, which that matte keeps. Its edge is coarse (256² for the whole
//! picture), so it adds body to the salient matte and trims it rather than replacing it.

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

/// How far past the person model's body (in its cells, 1/256 of the picture's side) the
/// salient-object matte may still reach: hair and fingers it draws finer than that body.
const REACH: usize = 4;

/// Below this share of the picture the person model has found nobody to speak of, and it
/// does not limit the salient object.
const MIN_PERSON_SHARE: f64 = 0.02;

/// Where the person map, after following the photo's edges ([`follow_edges`]), reaches this,
/// the person is added to the salient matte; it is added whole from [`SURE_PERSON`] + 0.2.
const SURE_PERSON: f32 = 0.6;

/// The person map made to follow `img`'s edges: the model sees the picture at 256² and
/// blurs its edge over several pixels, unsure of a dark coat where it meets a dark chair. A
/// guided filter ([`super::guided`]) over windows of 1/32 of the grid's side carries what it
/// is sure of across each region of one colour and stops at the colours' edges. `person` is
/// 0..1 at `img`'s size.
fn follow_edges(img: &RgbaImage, person: &[f32]) -> Vec<f32> {
    let side = img.width().max(img.height()) as f32;
    let r = (side / 32.0).round().max(1.0) as usize;
    super::guided::guided_filter(img, person, r, 1e-2)
}

/// The person model's output for one photo: its map as it came (256², for the body's
/// reach) and how sure it is of a person at each cell of the salient matte's grid, once
/// bent to the photo's edges. Made once, joined with the salient matte as often as needed.
pub struct PersonMap {
    raw: GrayImage,
    sure: GrayImage,
}

impl PersonMap {
    /// `raw` is the model's output for `img`; `grid` is the salient matte's size.
    pub fn new(img: &RgbaImage, raw: &GrayImage, grid: (u32, u32)) -> PersonMap {
        let (w, h) = grid;
        let person: Vec<f32> = super::refine::resize_gray(raw, w, h)
            .pixels()
            .map(|p| f32::from(p.0[0]) / 255.0)
            .collect();
        let person = follow_edges(&crate::compose::resize(img, w, h), &person);
        let sure = person
            .iter()
            .map(|&p| {
                let sure = ((p - SURE_PERSON) * 2.5 + 0.5).clamp(0.0, 1.0);
                (sure * 255.0).round() as u8
            })
            .collect();
        PersonMap {
            raw: raw.clone(),
            sure: GrayImage::from_raw(w, h, sure).expect("a value per cell"),
        }
    }
}

/// The salient-object `matte` joined with the person model's: wherever the person model,
/// following the photo's edges, is sure, its body is added.
/// When `has_face`, a piece the salient matte keeps further than [`REACH`] from that body and
/// that stands on the picture's bottom edge goes: a tripod or a chair on the floor beside the
/// person is not the subject. A piece that does not reach the bottom stays, since it is held
/// (a guitar's neck, a microphone, flowers). Without a face (album art, a back view) or a
/// body, the salient object is left whole.
pub fn combine(matte: &GrayImage, person: &PersonMap, has_face: bool) -> GrayImage {
    let (w, h) = matte.dimensions();
    assert_eq!(
        person.sure.dimensions(),
        (w, h),
        "the person map on the matte's grid"
    );
    let raw = &person.raw;
    let body: Vec<u8> = raw.pixels().map(|p| u8::from(p.0[0] >= 128)).collect();
    let share = body.iter().map(|&b| usize::from(b)).sum::<usize>() as f64 / body.len() as f64;
    let reach = (has_face && share >= MIN_PERSON_SHARE).then(|| {
        let (pw, ph) = (raw.width() as usize, raw.height() as usize);
        let near = super::refine::dilate(&body, pw, ph, REACH);
        let near = near.iter().map(|&b| b * 255).collect();
        let near = GrayImage::from_raw(raw.width(), raw.height(), near).expect("a cell each");
        super::refine::resize_gray(&near, w, h)
    });
    let floor = reach.as_ref().map(|r| standing_pieces(matte, r));
    GrayImage::from_fn(w, h, |x, y| {
        let sure = person.sure.get_pixel(x, y).0[0];
        let salient = u32::from(matte.get_pixel(x, y).0[0]);
        let salient = match (&reach, &floor) {
            (Some(r), Some(f)) if f[(y * w + x) as usize] => {
                (salient * u32::from(r.get_pixel(x, y).0[0]) + 127) / 255
            }
            _ => salient,
        } as u8;
        image::Luma([salient.max(sure)])
    })
}

/// Per pixel, whether it belongs to a piece of `matte` out of `reach` of the body that
/// touches the picture's bottom edge.
fn standing_pieces(matte: &GrayImage, reach: &GrayImage) -> Vec<bool> {
    let (w, h) = (matte.width() as usize, matte.height() as usize);
    let apart: Vec<u8> = matte
        .pixels()
        .zip(reach.pixels())
        .map(|(m, r)| u8::from(m.0[0] >= 128 && r.0[0] < 128))
        .collect();
    let (labels, sizes) = super::refine::components(&apart, w, h, 1);
    let mut standing = vec![false; sizes.len() + 1];
    for &label in &labels[(h - 1) * w..] {
        standing[label as usize] = label != 0;
    }
    labels.iter().map(|&l| standing[l as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The person model's `raw` map over a photo of one grey (so it is only blurred, not
    /// bent to edges), on the 512² grid of the salient mattes below.
    fn on_grey(raw: &GrayImage) -> PersonMap {
        let grey = RgbaImage::from_pixel(512, 512, image::Rgba([128, 128, 128, 255]));
        PersonMap::new(&grey, raw, (512, 512))
    }

    /// A 512² salient matte holding a person-sized block on the left and a prop standing on
    /// the bottom edge on the right, and a person model that sees only the block.
    fn person_and_prop() -> (GrayImage, GrayImage) {
        let salient = GrayImage::from_fn(512, 512, |x, y| {
            let person = (64..224).contains(&x) && y >= 96;
            let prop = (360..460).contains(&x) && y >= 300;
            image::Luma([if person || prop { 255 } else { 0 }])
        });
        let body = GrayImage::from_fn(SIDE as u32, SIDE as u32, |x, y| {
            image::Luma([if (32..112).contains(&x) && y >= 48 {
                240
            } else {
                0
            }])
        });
        (salient, body)
    }

    #[test]
    fn a_prop_standing_beside_the_person_leaves_the_matte_when_a_face_was_found() {
        let (salient, body) = person_and_prop();
        let out = combine(&salient, &on_grey(&body), true);
        assert_eq!(out.get_pixel(410, 400).0[0], 0, "the prop goes");
        assert_eq!(out.get_pixel(140, 300).0[0], 255, "the person stays");
        // Within reach of the body the salient matte is kept whole (hair, fingers).
        let near = combine(
            &GrayImage::from_fn(512, 512, |x, y| {
                image::Luma([if x < 230 && y >= 96 { 255 } else { 0 }])
            }),
            &on_grey(&body),
            true,
        );
        assert_eq!(
            near.get_pixel(228, 300).0[0],
            255,
            "a fringe near the body stays"
        );
    }

    #[test]
    fn something_held_out_from_the_body_stays_however_far_it_reaches() {
        let (_, body) = person_and_prop();
        // A guitar's neck from the body out to the right, clear of the floor.
        let held = GrayImage::from_fn(512, 512, |x, y| {
            let person = (64..224).contains(&x) && y >= 96;
            let neck = (200..480).contains(&x) && (150..180).contains(&y);
            image::Luma([if person || neck { 255 } else { 0 }])
        });
        let out = combine(&held, &on_grey(&body), true);
        assert_eq!(out.get_pixel(460, 165).0[0], 255, "the neck stays");
    }

    #[test]
    fn without_a_face_or_a_body_the_salient_object_is_left_whole() {
        let (salient, body) = person_and_prop();
        let out = combine(&salient, &on_grey(&body), false);
        assert_eq!(out.get_pixel(410, 400).0[0], 255);
        let nobody = GrayImage::new(SIDE as u32, SIDE as u32);
        let out = combine(&salient, &on_grey(&nobody), true);
        assert_eq!(out, salient, "no body: the salient matte as it is");
    }
}
