//! Everything checked and gathered before any heavy work: the template, the artist, the songs
//! (downloaded when they are URLs), the face guide and overlay images.

use std::path::PathBuf;

use image::RgbaImage;

use crate::compose::{self, ComposeError, ImageLimits};
use crate::job::{self, plan, Artist, ArtistError, FetchLimits, ImageRef, Manifest, SongRef};
use crate::subject::MIN_SIDE;
use crate::template::{Template, Templates};

use super::check::{check, Checked};

/// Why a job cannot start. Each is a problem with the job's input.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("Unsupported template: {0}")]
    UnsupportedTemplate(String),
    #[error(transparent)]
    Artist(#[from] ArtistError),
    #[error("images: {0}")]
    Image(#[from] ComposeError),
    #[error("images: {0}")]
    ImageDownload(job::FetchError),
    #[error("output_dir {path}: {source}")]
    Output {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A song ready to analyse, or the reason it is not.
#[derive(Debug)]
pub enum SongInput {
    File {
        title: String,
        path: PathBuf,
    },
    /// A downloaded song, kept in a temporary folder for the batch's life.
    Downloaded {
        title: String,
        url: String,
        path: PathBuf,
    },
    Failed {
        title: String,
        url: String,
        error: String,
    },
    /// A song URL that the video being prepared does not draw, so not downloaded.
    NotDrawn {
        title: String,
        url: String,
    },
}

impl SongInput {
    pub fn title(&self) -> &str {
        match self {
            SongInput::File { title, .. }
            | SongInput::Downloaded { title, .. }
            | SongInput::Failed { title, .. }
            | SongInput::NotDrawn { title, .. } => title,
        }
    }

    /// The file name reported in results.
    pub fn file_name(&self) -> String {
        match self {
            SongInput::File { path, .. } => path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            SongInput::Downloaded { url, .. }
            | SongInput::Failed { url, .. }
            | SongInput::NotDrawn { url, .. } => url.rsplit('/').next().unwrap_or(url).to_string(),
        }
    }
}

/// How a job's inputs may be fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrepareOptions {
    /// Let song and image URLs reach private, loopback and link-local addresses: for a
    /// render node that fetches only from its own network.
    pub allow_private_urls: bool,
    /// Prepare for this video of the batch alone: song URLs it does not draw are not
    /// downloaded (a service runs each video as its own run).
    pub only_video: Option<usize>,
}

/// A job with every input resolved.
pub struct Prepared {
    pub manifest: Manifest,
    pub artist: Artist,
    pub template: Template,
    /// True when the manifest named no template.
    pub malleable: bool,
    pub songs: Vec<SongInput>,
    pub face: Option<RgbaImage>,
    /// The face guide's name for messages (its file name or URL).
    pub face_name: String,
    /// The artist's own scenes, when the template takes them (used instead of its own).
    pub artist_scenes: Vec<PathBuf>,
    pub overlays: Vec<RgbaImage>,
    pub artist_md: Option<String>,
    pub audience_md: Option<String>,
    /// Holds downloaded songs until the batch ends.
    pub downloads: tempfile::TempDir,
    /// Removes `downloads` if the process is interrupted.
    pub downloads_scratch: crate::scratch::Registered,
}

/// Resolves and checks a manifest. Song URLs that fail to download do not fail the job: the
/// videos that draw them fail, the others go on.
pub fn prepare(
    manifest: Manifest,
    templates: &Templates,
    options: &PrepareOptions,
) -> Result<Prepared, PrepareError> {
    let req = &manifest.request;
    let Checked {
        template,
        malleable,
        artist,
        songs: files,
    } = check(req, &manifest.artists_root, templates)?;
    let urls: Vec<String> = req
        .songs
        .iter()
        .filter_map(|s| match s {
            SongRef::Url(u) => Some(u.clone()),
            SongRef::Slug(_) => None,
        })
        .collect();
    let mut songs: Vec<SongInput> = files
        .into_iter()
        .map(|f| SongInput::File {
            title: title_of(&f.slug),
            path: f.path,
        })
        .collect();

    let allow = options.allow_private_urls;
    let image_limits = FetchLimits::images().allowing_private(allow);
    let limits = ImageLimits::default();
    let mut images = Vec::new();
    for image in &req.images {
        images.push(match image {
            ImageRef::File(path) => (
                compose::load_image(path, limits)?,
                file_name(path.to_string_lossy().as_ref()),
            ),
            ImageRef::Url(url) => {
                let fetched = job::fetch(url, image_limits).map_err(PrepareError::ImageDownload)?;
                (
                    compose::decode_image(&fetched.bytes, url, limits)?,
                    url.clone(),
                )
            }
        });
    }
    // With a face guide the first image replaces it; without one (album imagery) every
    // image is an overlay.
    let mut images = images.into_iter();
    let (face, face_name) = if template.uses_face_guide || malleable {
        let (img, name) = match images.next() {
            Some(given) => given,
            None => {
                let path = artist.face_guide()?;
                let name = file_name(path.to_string_lossy().as_ref());
                (compose::load_image(&path, limits)?, name)
            }
        };
        let (w, h) = img.dimensions();
        if !malleable && (w < MIN_SIDE || h < MIN_SIDE) {
            return Err(PrepareError::Image(ComposeError::ImageTooSmall {
                name,
                width: w,
                height: h,
                min_side: MIN_SIDE,
            }));
        }
        (Some(img), name)
    } else {
        (None, String::new())
    };
    let images = images.map(|(img, _)| img);
    let overlays: Vec<RgbaImage> = images.collect();

    let artist_scenes = if template.uses_artist_scenes && !malleable {
        artist.scenes()
    } else {
        Vec::new()
    };
    let output = &manifest.output_dir;
    std::fs::create_dir_all(output).map_err(|source| PrepareError::Output {
        path: output.display().to_string(),
        source,
    })?;
    // Absolute and free of "..", so reported video paths are plain.
    let canonical = output.canonicalize().ok();
    let mut manifest = manifest;
    if let Some(canonical) = canonical {
        manifest.output_dir = canonical;
    }
    let output = &manifest.output_dir;
    let downloads = tempfile::Builder::new()
        .prefix(".reelforge-downloads-")
        .tempdir_in(output)
        .map_err(|source| PrepareError::Output {
            path: output.display().to_string(),
            source,
        })?;
    let song_limits = FetchLimits::songs().allowing_private(allow);
    // The song the one video being prepared draws, when that is all that is needed.
    let drawn = options.only_video.and_then(|i| {
        let options =
            plan::Options::for_template(songs.len() + urls.len(), &template, &artist_scenes);
        plan::choose(manifest.seed, manifest.request.batch as usize, options)
            .get(i)
            .map(|c| c.song)
    });
    for (i, url) in urls.into_iter().enumerate() {
        let file = url.rsplit('/').next().unwrap_or(&url);
        let title = title_of(file.rsplit_once('.').map_or(file, |(stem, _)| stem));
        if drawn.is_some_and(|d| d != songs.len()) {
            songs.push(SongInput::NotDrawn { title, url });
            continue;
        }
        songs.push(match job::fetch(&url, song_limits) {
            Ok(f) => {
                let path = downloads.path().join(format!(
                    "song-{i}.{}",
                    f.extension.as_deref().unwrap_or("bin")
                ));
                match std::fs::write(&path, &f.bytes) {
                    Ok(()) => SongInput::Downloaded {
                        title,
                        url: url.clone(),
                        path,
                    },
                    Err(e) => SongInput::Failed {
                        title,
                        url: url.clone(),
                        error: e.to_string(),
                    },
                }
            }
            Err(e) => SongInput::Failed {
                title,
                url: url.clone(),
                error: e.to_string(),
            },
        });
    }

    Ok(Prepared {
        artist_md: artist.context("artist.md"),
        audience_md: artist.context("audience.md"),
        manifest,
        artist,
        template,
        malleable,
        songs,
        face,
        face_name,
        artist_scenes,
        overlays,
        downloads_scratch: crate::scratch::register(downloads.path()),
        downloads,
    })
}

impl Prepared {
    /// Whether the videos place the artist, cut out of the face guide, in a scene.
    pub fn needs_subject(&self) -> bool {
        !self.malleable
            && self.template.uses_face_guide
            && self.face.is_some()
            && self.template.scenes.iter().any(|s| s.face.is_some())
    }
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// "paper-lanterns" → "Paper Lanterns".
pub fn title_of(slug: &str) -> String {
    slug.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles_come_from_slugs() {
        assert_eq!(super::title_of("paper-lanterns"), "Paper Lanterns");
        assert_eq!(super::title_of("blue_hour"), "Blue Hour");
    }
}
