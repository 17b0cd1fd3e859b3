//! The run order: what a node hands the process that renders one run (`reelforge run-video
//! ORDER.json`). A typed, versioned record rather than command-line flags and an edited
//! manifest, so that both sides agree on every field, and a renderer from another release
//! refuses an order it does not understand instead of misreading it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CreateRequest, Manifest};

/// Bumped with every change to [`RunOrder`] that an older renderer would misread.
pub const ORDER_VERSION: u32 = 1;

/// One run to render: the request as the API accepted it, its plan (seed and index in the
/// batch), where things are, and how to encode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOrder {
    pub version: u32,
    pub run_id: String,
    /// Which video of the batch this run is: with `seed`, it decides the run's song, moment,
    /// scene and camera move exactly as `render` would.
    pub index: usize,
    pub seed: u64,
    /// The create request as stored; the renderer validates it again.
    pub request: Value,
    pub artists_root: PathBuf,
    /// Where the video, its lyrics and its result are written.
    pub output_dir: PathBuf,
    /// Whether song and image URLs may reach private addresses (the node's policy).
    pub allow_private_urls: bool,
    pub options: RenderOptions,
}

/// How a node renders: models, caches, assets and the encoder. `None` paths are the
/// renderer's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderOptions {
    pub model: Option<PathBuf>,
    /// The model for songs in other languages; None: English songs only.
    pub multilingual_model: Option<PathBuf>,
    pub vision_models: Option<PathBuf>,
    /// Transcript cache folder; None: no cache.
    pub cache: Option<PathBuf>,
    pub assets: Option<PathBuf>,
    /// The x264 preset.
    pub preset: String,
    pub x264_threads: usize,
}

/// Why an order cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("run order {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("run order {path}: {field}: {message}")]
    Field {
        path: String,
        field: String,
        message: String,
    },
    #[error(
        "run order {path} has version {found}; this renderer reads version {ORDER_VERSION}: \
         run the same reelforge on the node and as its renderer"
    )]
    Version { path: String, found: u32 },
}

impl RunOrder {
    /// Reads and checks an order; a bad field is named by its path (`options.preset`).
    pub fn read(path: &Path) -> Result<RunOrder, OrderError> {
        let shown = || path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| OrderError::Io {
            path: shown(),
            source,
        })?;
        // The version first, so that a newer order is named as such and not as a bad field.
        if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&text) {
            match o.get("version").and_then(Value::as_u64) {
                Some(v) if v == u64::from(ORDER_VERSION) => {}
                Some(v) => {
                    return Err(OrderError::Version {
                        path: shown(),
                        found: u32::try_from(v).unwrap_or(u32::MAX),
                    })
                }
                None => {}
            }
        }
        let de = &mut serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|e| OrderError::Field {
            path: shown(),
            field: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// Writes the order as JSON.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, serde_json::to_vec_pretty(self)?)
    }

    /// The one-video job this order describes.
    pub fn manifest(&self) -> Result<Manifest, super::FieldError> {
        Ok(Manifest {
            request: CreateRequest::from_json(&self.request, None)?,
            artists_root: self.artists_root.clone(),
            output_dir: self.output_dir.clone(),
            seed: self.seed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> RunOrder {
        RunOrder {
            version: ORDER_VERSION,
            run_id: "run_abc".into(),
            index: 3,
            seed: 42,
            request: serde_json::json!({
                "artist_account_id": "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13", "batch": 4
            }),
            artists_root: "/srv/artists".into(),
            output_dir: "/tmp/run".into(),
            allow_private_urls: false,
            options: RenderOptions {
                model: Some("/m/ggml.bin".into()),
                multilingual_model: None,
                vision_models: None,
                cache: None,
                assets: None,
                preset: "veryfast".into(),
                x264_threads: 2,
            },
        }
    }

    #[test]
    fn an_order_reads_back_as_written_and_gives_its_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("order.json");
        order().write(&path).unwrap();
        let read = RunOrder::read(&path).unwrap();
        assert_eq!(read, order());
        let manifest = read.manifest().unwrap();
        assert_eq!((manifest.seed, manifest.request.batch), (42, 4));
    }

    #[test]
    fn a_bad_field_is_named_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("order.json");
        let mut value = serde_json::to_value(order()).unwrap();
        value["options"]["x264_threads"] = "two".into();
        std::fs::write(&path, value.to_string()).unwrap();
        let e = RunOrder::read(&path).unwrap_err().to_string();
        assert!(e.contains("options.x264_threads"), "{e}");
        assert!(e.contains("order.json"), "{e}");
    }

    #[test]
    fn an_order_of_another_version_is_refused_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("order.json");
        let mut value = serde_json::to_value(order()).unwrap();
        value["version"] = (ORDER_VERSION + 1).into();
        value["new_field"] = true.into();
        std::fs::write(&path, value.to_string()).unwrap();
        let e = RunOrder::read(&path).unwrap_err();
        assert!(matches!(e, OrderError::Version { found, .. } if found == ORDER_VERSION + 1));
    }
}
