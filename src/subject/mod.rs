//! Stage 6a, the subject: the artist cut out of the face guide with a person matte (U²-Net-p)
//! and located by a face detector (BlazeFace), both run natively with tract. The analysis of
//! an image is cached on disk by the image's pixels and the models, so a batch (and every
//! later batch) segments each face guide once.

mod cache;
pub(crate) mod face;
pub(crate) mod guided;
pub(crate) mod matte;
pub(crate) mod mesh;
pub mod models;
pub(crate) mod person;
pub(crate) mod refine;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use cache::SubjectCache;
pub use face::{FaceBox, FaceDetector};
use image::{GrayImage, RgbaImage};
pub use matte::MatteModel;
pub use mesh::{FaceMesh, Mouth};
pub use models::VisionModelError;

/// Images smaller than this on a side cannot be cut out or framed meaningfully.
pub const MIN_SIDE: u32 = 128;
/// Larger face guides are analysed and cut out at this long side: more than any frame needs,
/// and it bounds the work on a 12000-pixel photo.
pub const WORKING_SIDE: u32 = 2048;
/// The sides of the squares where a face too small in the whole picture is looked for, as
/// shares of the subject's narrower side.
const HEAD_SHARES: [f32; 2] = [0.7, 0.45];

#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    #[error(transparent)]
    Model(#[from] VisionModelError),
    #[error("{name} is too small to find a person in: {width}×{height} pixels (at least {MIN_SIDE} on each side)")]
    TooSmall {
        name: String,
        width: u32,
        height: u32,
    },
}

/// What the models say about one image: cached, so it is plain data.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The model's raw matte at its own resolution.
    pub matte: GrayImage,
    /// Faces, largest first, in image pixels.
    pub faces: Vec<FaceBox>,
    /// The largest face's mouth, from the face mesh.
    pub mouth: Option<Mouth>,
}

/// The artist ready to place: the cut-out and where the face is.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The face guide with the refined matte as alpha and cleaned edge colours.
    pub cutout: RgbaImage,
    /// The largest face; `None` when none was found.
    pub face: Option<FaceBox>,
    /// How many faces were found.
    pub faces_found: usize,
    /// The framed face's mouth, in the cut-out's pixels.
    pub mouth: Option<Mouth>,
    /// Told in the run's result (no face, several faces).
    pub warnings: Vec<String>,
}

/// The vision models of a process, loaded on first use.
pub struct Vision {
    dir: PathBuf,
    matte: OnceLock<Result<MatteModel, VisionModelError>>,
    detector: OnceLock<Result<FaceDetector, VisionModelError>>,
    mesh: OnceLock<Result<FaceMesh, VisionModelError>>,
    person: OnceLock<Result<person::PersonModel, VisionModelError>>,
    /// Checksums of the model files (pinned), part of every cache key.
    pub model_key: String,
}

impl Vision {
    /// Models read from `dir` when first needed. Fails now when a file is missing, truncated
    /// or altered (every file's checksum is checked).
    pub fn open(dir: &Path) -> Result<Vision, VisionModelError> {
        for file in models::ALL {
            models::read_checked(dir, &file)?;
        }
        Ok(Vision {
            dir: dir.to_path_buf(),
            matte: OnceLock::new(),
            detector: OnceLock::new(),
            mesh: OnceLock::new(),
            person: OnceLock::new(),
            model_key: models::ALL.map(|m| m.sha256).join("+"),
        })
    }

    fn matte_model(&self) -> Result<&MatteModel, VisionModelError> {
        self.loaded(&self.matte, models::U2NETP, MatteModel::from_bytes)
    }

    fn face_detector(&self) -> Result<&FaceDetector, VisionModelError> {
        self.loaded(
            &self.detector,
            models::FACE_DETECTOR,
            FaceDetector::from_tflite,
        )
    }

    fn face_mesh(&self) -> Result<&FaceMesh, VisionModelError> {
        self.loaded(&self.mesh, models::FACE_MESH, FaceMesh::from_tflite)
    }

    fn person_model(&self) -> Result<&person::PersonModel, VisionModelError> {
        self.loaded(
            &self.person,
            models::PERSON,
            person::PersonModel::from_tflite,
        )
    }

    /// The model in `cell`, read, checked and built on first use; a failure is kept, so
    /// every caller hears it.
    fn loaded<'a, T>(
        &self,
        cell: &'a OnceLock<Result<T, VisionModelError>>,
        file: models::ModelFile,
        build: fn(&[u8]) -> Result<T, VisionModelError>,
    ) -> Result<&'a T, VisionModelError> {
        let loaded = cell.get_or_init(|| build(&models::read_checked(&self.dir, &file)?));
        loaded.as_ref().map_err(|e| VisionModelError::Load {
            name: file.name,
            reason: e.to_string(),
        })
    }

    /// Runs the models on `img` (no cache).
    pub fn analyse(&self, img: &RgbaImage) -> Result<Analysis, VisionModelError> {
        let salient = self.matte_model()?.run(img)?;
        let body = self.person_model()?.run(img)?;
        let body = person::PersonMap::new(img, &body, salient.dimensions());
        let mut faces = self.face_detector()?.detect(img)?;
        if faces.is_empty() {
            let subject = person::combine(&salient, &body, false);
            faces = self.faces_atop(img, &subject)?;
        }
        let mouth = match faces.first() {
            Some(face) => self.face_mesh()?.mouth(img, face)?,
            None => None,
        };
        Ok(Analysis {
            matte: person::combine(&salient, &body, !faces.is_empty()),
            faces,
            mouth,
        })
    }

    /// The faces in squares over the top of `subject`'s outline, larger square first: a
    /// face too small for the detector in the whole picture (a person seen full length)
    /// fills more of it there.
    fn faces_atop(
        &self,
        img: &RgbaImage,
        subject: &GrayImage,
    ) -> Result<Vec<FaceBox>, VisionModelError> {
        for share in HEAD_SHARES {
            let Some(region) = face::head_region(subject, img.dimensions(), share) else {
                continue;
            };
            let faces = self.face_detector()?.detect_within(img, region)?;
            if !faces.is_empty() {
                return Ok(faces);
            }
        }
        Ok(Vec::new())
    }

    /// The subject of `img` (called `name` in messages), from the cache when it has it.
    pub fn subject(
        &self,
        img: &RgbaImage,
        name: &str,
        cache: &SubjectCache,
    ) -> Result<Subject, SubjectError> {
        let (w, h) = img.dimensions();
        if w < MIN_SIDE || h < MIN_SIDE {
            return Err(SubjectError::TooSmall {
                name: name.to_string(),
                width: w,
                height: h,
            });
        }
        let img = working_copy(img);
        let key = cache::key(&img, &self.model_key);
        let analysis = cache.get_or_insert_with(&key, || self.analyse(&img))?;
        let cutout = cache.cutout_or_insert_with(&key, || cut_out(&img, &analysis));
        Ok(subject_from(&img, cutout, &analysis, name))
    }
}

/// The image the models see: at most [`WORKING_SIDE`] on its long side, and flattened onto
/// grey where it is transparent (what lies under transparent pixels is not the photo).
fn working_copy(img: &RgbaImage) -> RgbaImage {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    let mut out = if long > WORKING_SIDE {
        let s = WORKING_SIDE as f32 / long as f32;
        crate::compose::resize(
            img,
            ((w as f32 * s).round() as u32).max(1),
            ((h as f32 * s).round() as u32).max(1),
        )
    } else {
        img.clone()
    };
    for p in out.pixels_mut() {
        let a = u32::from(p.0[3]);
        if a < 255 {
            for c in 0..3 {
                p.0[c] = ((u32::from(p.0[c]) * a + 128 * (255 - a)) / 255) as u8;
            }
        }
    }
    out
}

/// `img` cut out by its analysed matte; the largest face helps restore a body the matte lost.
pub fn cut_out(img: &RgbaImage, analysis: &Analysis) -> RgbaImage {
    let mut cutout = refine::cut_out(img, &analysis.matte, analysis.faces.first());
    // A face guide's own transparency stays transparent.
    for (p, src) in cutout.pixels_mut().zip(img.pixels()) {
        p.0[3] = p.0[3].min(src.0[3]);
    }
    cutout
}

/// The subject of `img` from its `cutout` and analysis: the face and what to warn about.
pub fn subject_from(
    img: &RgbaImage,
    cutout: RgbaImage,
    analysis: &Analysis,
    name: &str,
) -> Subject {
    let face = analysis.faces.first().copied();
    let mut warnings = Vec::new();
    match analysis.faces.len() {
        0 => warnings.push(format!(
            "no face found in {name}: placed by the subject's outline"
        )),
        1 => {}
        n => warnings.push(format!("{n} faces found in {name}: framed on the largest")),
    }
    if !cutout.pixels().any(|p| p.0[3] > 128) {
        warnings.push(format!(
            "no subject found in {name}: the whole image is used"
        ));
        let mut whole = img.clone();
        for p in whole.pixels_mut() {
            p.0[3] = 255;
        }
        return Subject {
            cutout: whole,
            face,
            faces_found: analysis.faces.len(),
            mouth: analysis.mouth.clone(),
            warnings,
        };
    }
    Subject {
        cutout,
        face,
        faces_found: analysis.faces.len(),
        mouth: analysis.mouth.clone(),
        warnings,
    }
}
