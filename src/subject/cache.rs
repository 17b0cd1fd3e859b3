//! Subject analyses kept on disk beside the transcripts, keyed by the image's pixels and the
//! models' checksums: `<key>.png` holds the raw matte, `<key>.json` the faces. The JSON is
//! written last, so an entry without it is incomplete and is recomputed. Beside them,
//! `<key>.cut<refine version>.png` holds the refined cut-out: reading it back costs a few
//! milliseconds, refining again several times that.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use image::RgbaImage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{refine, Analysis, FaceBox, Mouth, VisionModelError};

/// Bumped whenever what is stored for a key changes.
const FORMAT: u32 = 6;

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    faces: Vec<FaceBox>,
    mouth: Option<Mouth>,
}

/// The cache key of an image's analysis.
pub fn key(img: &RgbaImage, model_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "subject v{FORMAT}\n{model_key}\n{}x{}\n",
        img.width(),
        img.height()
    ));
    h.update(img.as_raw());
    hex::encode(h.finalize())
}

/// A folder of analyses, or none (every lookup computes).
pub struct SubjectCache {
    dir: Option<PathBuf>,
}

impl SubjectCache {
    /// Entries under `dir/subjects/`.
    pub fn new(dir: &Path) -> SubjectCache {
        SubjectCache {
            dir: Some(dir.join("subjects")),
        }
    }

    pub fn disabled() -> SubjectCache {
        SubjectCache { dir: None }
    }

    pub fn get(&self, key: &str) -> Option<Analysis> {
        let dir = self.dir.as_ref()?;
        let stored: Stored =
            serde_json::from_slice(&fs::read(dir.join(format!("{key}.json"))).ok()?).ok()?;
        if stored.format != FORMAT {
            return None;
        }
        let matte = image::open(dir.join(format!("{key}.png")))
            .ok()?
            .into_luma8();
        Some(Analysis {
            matte,
            faces: stored.faces,
            mouth: stored.mouth,
        })
    }

    pub fn put(&self, key: &str, analysis: &Analysis) -> io::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        fs::create_dir_all(dir)?;
        let png = tempfile::Builder::new().suffix(".png").tempfile_in(dir)?;
        analysis
            .matte
            .save_with_format(png.path(), image::ImageFormat::Png)
            .map_err(io::Error::other)?;
        png.persist(dir.join(format!("{key}.png")))
            .map_err(|e| e.error)?;
        let json = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(
            json.as_file(),
            &Stored {
                format: FORMAT,
                faces: analysis.faces.clone(),
                mouth: analysis.mouth.clone(),
            },
        )?;
        json.persist(dir.join(format!("{key}.json")))
            .map_err(|e| e.error)?;
        Ok(())
    }

    fn cutout_path(&self, key: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{key}.cut{}.png", refine::VERSION)))
    }

    /// The stored cut-out for `key`, or `refine`'s, stored for next time (a failure to store
    /// is not a failure).
    pub fn cutout_or_insert_with(
        &self,
        key: &str,
        refine: impl FnOnce() -> RgbaImage,
    ) -> RgbaImage {
        let Some(path) = self.cutout_path(key) else {
            return refine();
        };
        if let Ok(img) = image::open(&path) {
            return img.into_rgba8();
        }
        let cutout = refine();
        if let Err(e) = write_png(&path, &cutout) {
            tracing::warn!("could not cache the subject's cut-out: {e}");
        }
        cutout
    }

    /// The stored analysis for `key`, or `compute`'s, stored for next time (a failure to
    /// store is not a failure).
    pub fn get_or_insert_with(
        &self,
        key: &str,
        compute: impl FnOnce() -> Result<Analysis, VisionModelError>,
    ) -> Result<Analysis, VisionModelError> {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let analysis = compute()?;
        if let Err(e) = self.put(key, &analysis) {
            tracing::warn!("could not cache the subject analysis: {e}");
        }
        Ok(analysis)
    }
}

/// `img` written to `path` whole or not at all, fast to compress and to read back.
fn write_png(path: &Path, img: &RgbaImage) -> io::Result<()> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file = tempfile::NamedTempFile::new_in(dir)?;
    let encoder = PngEncoder::new_with_quality(
        io::BufWriter::new(file.as_file()),
        CompressionType::Fast,
        FilterType::Adaptive,
    );
    img.write_with_encoder(encoder).map_err(io::Error::other)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_round_trips_and_a_half_written_one_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SubjectCache::new(dir.path());
        let analysis = Analysis {
            matte: image::GrayImage::from_fn(8, 8, |x, _| image::Luma([x as u8 * 30])),
            faces: vec![],
            mouth: None,
        };
        cache.put("k", &analysis).unwrap();
        let back = cache.get("k").unwrap();
        assert_eq!(back.matte, analysis.matte);
        fs::remove_file(dir.path().join("subjects/k.json")).unwrap();
        assert!(cache.get("k").is_none());
    }

    #[test]
    fn a_cut_out_is_refined_once_and_read_back_after() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SubjectCache::new(dir.path());
        let img = RgbaImage::from_fn(16, 8, |x, y| {
            image::Rgba([x as u8 * 9, y as u8 * 20, 7, 200])
        });
        let mut refined = 0;
        for _ in 0..3 {
            let back = cache.cutout_or_insert_with("k", || {
                refined += 1;
                img.clone()
            });
            assert_eq!(back, img);
        }
        assert_eq!(refined, 1);
        // Without a folder, every call refines.
        let off = SubjectCache::disabled();
        off.cutout_or_insert_with("k", || {
            refined += 1;
            img.clone()
        });
        assert_eq!(refined, 2);
    }

    #[test]
    fn the_key_depends_on_pixels_and_models() {
        let a = RgbaImage::new(4, 4);
        let mut b = a.clone();
        b.put_pixel(1, 1, image::Rgba([1, 0, 0, 0]));
        assert_ne!(key(&a, "m"), key(&b, "m"));
        assert_ne!(key(&a, "m"), key(&a, "n"));
    }
}
