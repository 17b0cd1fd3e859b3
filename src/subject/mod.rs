//! Stage 6a, the subject: the artist cut out of the face guide with a person matte (U²-Net-p)
//! and located by a face detector (BlazeFace), both run natively with tract. The analysis of
//! an image is cached on disk by the image's pixels and the models, so a batch (and every
//! later batch) segments each face guide once.

mod cache;
pub mod face;
pub mod matte;
pub mod models;
pub mod refine;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use cache::SubjectCache;
pub use face::{FaceBox, FaceDetector};
use image::{GrayImage, RgbaImage};
pub use matte::MatteModel;
pub use models::{VisionModelError, VISION_MODELS_ENV};

/// Images smaller than this on a side cannot be cut out or framed meaningfully.
pub const MIN_SIDE: u32 = 128;

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
    /// Told in the run's result (no face, several faces).
    pub warnings: Vec<String>,
}

/// The vision models of a process, loaded on first use.
pub struct Vision {
    dir: PathBuf,
    matte: OnceLock<Result<MatteModel, String>>,
    detector: OnceLock<Result<FaceDetector, String>>,
    /// Checksums of the model files (pinned), part of every cache key.
    pub model_key: String,
}

impl Vision {
    /// Models read from `dir` when first needed. Fails now when a file is missing or wrong.
    pub fn open(dir: &Path) -> Result<Vision, VisionModelError> {
        for file in [models::U2NETP, models::FACE_DETECTOR] {
            let path = dir.join(file.name);
            let bytes = std::fs::metadata(&path)
                .map_err(|_| VisionModelError::Missing { path: path.clone() })?
                .len();
            if bytes != file.bytes {
                return Err(VisionModelError::WrongSize {
                    path,
                    bytes,
                    expected: file.bytes,
                });
            }
        }
        Ok(Vision {
            dir: dir.to_path_buf(),
            matte: OnceLock::new(),
            detector: OnceLock::new(),
            model_key: format!("{}+{}", models::U2NETP.sha256, models::FACE_DETECTOR.sha256),
        })
    }

    fn matte_model(&self) -> Result<&MatteModel, VisionModelError> {
        let loaded = self.matte.get_or_init(|| {
            let bytes =
                models::read_checked(&self.dir, &models::U2NETP).map_err(|e| e.to_string())?;
            MatteModel::from_bytes(&bytes).map_err(|e| e.to_string())
        });
        loaded.as_ref().map_err(|reason| VisionModelError::Load {
            name: models::U2NETP.name,
            reason: reason.clone(),
        })
    }

    fn face_detector(&self) -> Result<&FaceDetector, VisionModelError> {
        let loaded = self.detector.get_or_init(|| {
            let bytes = models::read_checked(&self.dir, &models::FACE_DETECTOR)
                .map_err(|e| e.to_string())?;
            FaceDetector::from_tflite(&bytes).map_err(|e| e.to_string())
        });
        loaded.as_ref().map_err(|reason| VisionModelError::Load {
            name: models::FACE_DETECTOR.name,
            reason: reason.clone(),
        })
    }

    /// Runs both models on `img` (no cache).
    pub fn analyse(&self, img: &RgbaImage) -> Result<Analysis, VisionModelError> {
        Ok(Analysis {
            matte: self.matte_model()?.run(img)?,
            faces: self.face_detector()?.detect(img)?,
        })
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
        let key = cache::key(img, &self.model_key);
        let analysis = cache.get_or_insert_with(&key, || self.analyse(img))?;
        Ok(subject_from(img, &analysis, name))
    }
}

/// Refines the matte and picks the face.
pub fn subject_from(img: &RgbaImage, analysis: &Analysis, name: &str) -> Subject {
    let face = analysis.faces.first().copied();
    let cutout = refine::cut_out(img, &analysis.matte, face.as_ref());
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
            warnings,
        };
    }
    Subject {
        cutout,
        face,
        faces_found: analysis.faces.len(),
        warnings,
    }
}
