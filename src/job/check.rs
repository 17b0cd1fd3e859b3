//! The checks a create request passes before it is accepted: cheap (no downloads, no
//! decoding), so the HTTP API can answer at once with the hosted messages.

use std::path::Path;

use crate::job::{Artist, CreateRequest, SongFile, SongRef};
use crate::template::{Template, Templates};

use super::PrepareError;

/// What a request resolved to.
#[derive(Debug, Clone)]
pub struct Checked {
    pub template: Template,
    /// True when the request named no template.
    pub malleable: bool,
    pub artist: Artist,
    /// The repo songs the request draws from (none when it names only URLs).
    pub songs: Vec<SongFile>,
}

impl Checked {
    /// Lipsync as asked, else the template's default.
    pub fn lipsync(&self, req: &CreateRequest) -> bool {
        req.lipsync.unwrap_or(self.template.default_lipsync)
    }
}

/// The template exists; the artist exists; the songs named by slug are in the artist's repo
/// (or, with no song named, the repo has songs); a face guide is there when the template
/// needs one and no image replaces it.
pub fn check(
    req: &CreateRequest,
    artists_root: &Path,
    templates: &Templates,
) -> Result<Checked, PrepareError> {
    let (template, malleable) = match &req.template {
        Some(id) => (
            templates
                .get(id)
                .cloned()
                .ok_or_else(|| PrepareError::UnsupportedTemplate(id.clone()))?,
            false,
        ),
        None => (Template::malleable(), true),
    };
    let artist = Artist::find(artists_root, &req.artist_account_id)?;
    let slugs = slugs(req);
    let any_url = req.songs.iter().any(|s| matches!(s, SongRef::Url(_)));
    // Slugs are looked up when given, or when no song was named at all.
    let songs = if !slugs.is_empty() || !any_url {
        artist.pick_songs(&slugs)?
    } else {
        Vec::new()
    };
    if (template.uses_face_guide || malleable) && req.images.is_empty() {
        artist.face_guide()?;
    }
    Ok(Checked {
        template,
        malleable,
        artist,
        songs,
    })
}

/// The songs a request names by slug.
fn slugs(req: &CreateRequest) -> Vec<String> {
    req.songs
        .iter()
        .filter_map(|s| match s {
            SongRef::Slug(slug) => Some(slug.clone()),
            SongRef::Url(_) => None,
        })
        .collect()
}
