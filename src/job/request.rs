//! The create request (the seeds' POST /api/content/create body) and the render-node manifest
//! built on it, validated field by field so that every error names its field.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::caption::CaptionLength;
use crate::transcribe::Language;

/// Largest batch the API accepts.
pub const MAX_BATCH: u32 = 30;

/// A validation failure: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A song asked for: a slug in the artist's repo, or a URL to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SongRef {
    Slug(String),
    Url(String),
}

/// A face guide or overlay image: a URL, or (in manifests) a local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Url(String),
    File(PathBuf),
}

/// A validated create request.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    pub artist_account_id: String,
    /// None is malleable mode.
    pub template: Option<String>,
    /// None: the template's default.
    pub lipsync: Option<bool>,
    pub caption_length: CaptionLength,
    /// The language sung; None: English (the default model's).
    pub language: Option<Language>,
    pub upscale: bool,
    pub batch: u32,
    /// Empty: every song in the artist's repo is eligible.
    pub songs: Vec<SongRef>,
    pub images: Vec<ImageRef>,
}

/// A render node's job: the request plus where things are.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub request: CreateRequest,
    pub artists_root: PathBuf,
    pub output_dir: PathBuf,
    pub seed: u64,
}

const REQUEST_FIELDS: &[&str] = &[
    "artist_account_id",
    "template",
    "lipsync",
    "caption_length",
    "language",
    "upscale",
    "batch",
    "songs",
    "images",
];

impl CreateRequest {
    /// Validates a JSON body. `base` resolves relative image paths (manifests only; `None`
    /// accepts URLs alone, as the HTTP API does).
    pub fn from_json(value: &Value, base: Option<&Path>) -> Result<CreateRequest, FieldError> {
        let obj = value
            .as_object()
            .ok_or_else(|| field_error("body", "expected a JSON object"))?;
        let artist_account_id = match obj.get("artist_account_id") {
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.to_ascii_lowercase(),
            Some(_) => return Err(field_error("artist_account_id", "must be a UUID")),
            None => return Err(field_error("artist_account_id", "is required")),
        };
        let template = match obj.get("template") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => return Err(field_error("template", "must be a non-empty string")),
        };
        let lipsync = optional_bool(obj, "lipsync")?;
        let caption_length = match obj.get("caption_length") {
            None | Some(Value::Null) => CaptionLength::None,
            Some(Value::String(s)) => s.parse().map_err(|_| {
                field_error("caption_length", "must be one of none, short, medium, long")
            })?,
            Some(_) => {
                return Err(field_error(
                    "caption_length",
                    "must be one of none, short, medium, long",
                ))
            }
        };
        let language = match obj.get("language") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                s.parse::<Language>()
                    .map_err(|e| field_error("language", e.to_string()))?,
            ),
            Some(_) => {
                return Err(field_error(
                    "language",
                    "must be a string: auto or a language code such as es",
                ))
            }
        };
        let upscale = optional_bool(obj, "upscale")?.unwrap_or(false);
        let batch = match obj.get("batch") {
            None | Some(Value::Null) => 1,
            // JSON Schema counts 2.0 as the integer 2, and so do we.
            Some(v) => match v.as_u64().or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(MAX_BATCH)).contains(f))
                    .map(|f| f as u64)
            }) {
                Some(n) if (1..=u64::from(MAX_BATCH)).contains(&n) => n as u32,
                _ => {
                    return Err(field_error(
                        "batch",
                        format!("must be an integer from 1 to {MAX_BATCH}"),
                    ))
                }
            },
        };
        let songs = string_list(obj, "songs")?
            .into_iter()
            .map(|s| {
                if is_url(&s) {
                    check_url("songs", &s).map(|_| SongRef::Url(s))
                } else if s.contains('/') || s.contains('\\') {
                    Err(field_error(
                        "songs",
                        format!("{s:?} is neither a song slug nor an http(s) URL"),
                    ))
                } else {
                    Ok(SongRef::Slug(s))
                }
            })
            .collect::<Result<_, _>>()?;
        let images = string_list(obj, "images")?
            .into_iter()
            .map(|s| {
                if is_url(&s) {
                    check_url("images", &s).map(|_| ImageRef::Url(s))
                } else if let Some(base) = base {
                    Ok(ImageRef::File(base.join(&s)))
                } else {
                    Err(field_error(
                        "images",
                        format!("{s:?} is not an http(s) URL"),
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(CreateRequest {
            artist_account_id,
            template,
            lipsync,
            caption_length,
            language,
            upscale,
            batch,
            songs,
            images,
        })
    }
}

impl CreateRequest {
    /// The request as a create body again (images as URLs or paths).
    pub fn to_json(&self) -> Value {
        let songs: Vec<&str> = self
            .songs
            .iter()
            .map(|s| match s {
                SongRef::Slug(x) | SongRef::Url(x) => x.as_str(),
            })
            .collect();
        let images: Vec<String> = self
            .images
            .iter()
            .map(|i| match i {
                ImageRef::Url(u) => u.clone(),
                ImageRef::File(p) => p.display().to_string(),
            })
            .collect();
        serde_json::json!({
            "artist_account_id": self.artist_account_id,
            "template": self.template,
            "lipsync": self.lipsync,
            "caption_length": self.caption_length.as_str(),
            "language": self.language,
            "upscale": self.upscale,
            "batch": self.batch,
            "songs": songs,
            "images": images,
        })
    }
}

impl Manifest {
    /// Parses a manifest file's text. Relative paths resolve against `dir`, the manifest's folder.
    pub fn parse(text: &str, dir: &Path) -> Result<Manifest, FieldError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| field_error("manifest", format!("not valid JSON: {e}")))?;
        let request = CreateRequest::from_json(&value, Some(dir))?;
        let obj = value.as_object().expect("checked by CreateRequest");
        for key in obj.keys() {
            let known = REQUEST_FIELDS.contains(&key.as_str())
                || ["artists_root", "output_dir", "seed"].contains(&key.as_str());
            if !known {
                return Err(field_error(key, "unknown field"));
            }
        }
        let path = |field: &str| match obj.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(dir.join(s)),
            Some(_) => Err(field_error(field, "must be a non-empty path")),
            None => Err(field_error(field, "is required")),
        };
        let seed = match obj.get("seed") {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| field_error("seed", "must be a non-negative integer"))?,
        };
        Ok(Manifest {
            request,
            artists_root: path("artists_root")?,
            output_dir: path("output_dir")?,
            seed,
        })
    }
}

fn optional_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(field_error(field, "must be true or false")),
    }
}

fn string_list(obj: &Map<String, Value>, field: &str) -> Result<Vec<String>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                _ => Err(field_error(field, "must be a list of non-empty strings")),
            })
            .collect(),
        Some(_) => Err(field_error(field, "must be a list of strings")),
    }
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A song or image URL must parse, name a host and carry no credentials: a URL with
/// `user:password@` would be stored with the batch and written into logs, results and Slack,
/// so it is refused, and the refusal shows it with the credentials masked.
fn check_url(field: &str, s: &str) -> Result<(), FieldError> {
    let shown = redact_userinfo(s);
    match reqwest::Url::parse(s) {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => Err(field_error(
            field,
            format!(
                "{shown:?} carries credentials (user:password@); give a URL without them, \
                 such as a signed URL"
            ),
        )),
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err(field_error(field, format!("{shown:?} is not a valid URL"))),
    }
}

/// The URL with anything between `//` and an `@` in its authority replaced by `***`; works on
/// text that does not parse as a URL too.
pub fn redact_userinfo(url: &str) -> String {
    let Some(start) = url.find("//").map(|i| i + 2) else {
        return url.to_string();
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13";

    fn err(v: Value) -> FieldError {
        CreateRequest::from_json(&v, None).unwrap_err()
    }

    #[test]
    fn credentials_in_urls_are_refused_without_being_echoed() {
        for (field, url) in [
            ("songs", "https://user:hunter2@example.com/a.mp3"),
            ("images", "https://hunter2@example.com/face.png"),
            ("songs", "https://user:hunter2@"),
        ] {
            let e = err(json!({ "artist_account_id": ID, field: [url] }));
            assert_eq!(e.field, field);
            assert!(!e.message.contains("hunter2"), "{}", e.message);
            assert!(e.message.contains("***@"), "{}", e.message);
        }
        assert_eq!(
            redact_userinfo("https://a:b@h.example/p?q=x@y"),
            "https://***@h.example/p?q=x@y"
        );
        assert_eq!(
            redact_userinfo("https://h.example/p@x"),
            "https://h.example/p@x"
        );
    }

    #[test]
    fn a_minimal_request_gets_the_documented_defaults() {
        let r = CreateRequest::from_json(&json!({ "artist_account_id": ID }), None).unwrap();
        assert_eq!(r.template, None);
        assert_eq!(r.lipsync, None);
        assert_eq!(r.caption_length, CaptionLength::None);
        assert!(!r.upscale);
        assert_eq!(r.batch, 1);
        assert!(r.songs.is_empty() && r.images.is_empty());
    }

    #[test]
    fn every_schema_error_names_its_field() {
        assert_eq!(err(json!({})).field, "artist_account_id");
        assert_eq!(
            err(json!({ "artist_account_id": "nope" })).field,
            "artist_account_id"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "template": "" })).field,
            "template"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "caption_length": "huge" })).field,
            "caption_length"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "batch": 0 })).field,
            "batch"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "batch": 31 })).field,
            "batch"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "batch": 2.5 })).field,
            "batch"
        );
        assert_eq!(
            CreateRequest::from_json(&json!({ "artist_account_id": ID, "batch": 2.0 }), None)
                .unwrap()
                .batch,
            2
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "songs": [1] })).field,
            "songs"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "songs": "a" })).field,
            "songs"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "images": ["face.png"] })).field,
            "images"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "images": ["http://"] })).field,
            "images"
        );
        assert_eq!(
            err(json!({ "artist_account_id": ID, "lipsync": "yes" })).field,
            "lipsync"
        );
        assert_eq!(err(json!([])).field, "body");
    }

    #[test]
    fn a_request_survives_a_round_trip_through_json() {
        let r = CreateRequest::from_json(
            &json!({ "artist_account_id": ID, "template": "artist-caption-stage", "lipsync": true,
                     "caption_length": "long", "upscale": true, "batch": 4,
                     "songs": ["hiccups", "https://example.com/a.mp3"],
                     "images": ["https://example.com/face.png"] }),
            None,
        )
        .unwrap();
        assert_eq!(CreateRequest::from_json(&r.to_json(), None).unwrap(), r);
    }

    #[test]
    fn songs_are_slugs_or_urls() {
        let r = CreateRequest::from_json(
            &json!({ "artist_account_id": ID, "songs": ["hiccups", "https://example.com/a.mp3"] }),
            None,
        )
        .unwrap();
        assert_eq!(
            r.songs,
            vec![
                SongRef::Slug("hiccups".into()),
                SongRef::Url("https://example.com/a.mp3".into())
            ]
        );
    }

    #[test]
    fn a_manifest_resolves_paths_against_its_folder() {
        let text = json!({
            "artist_account_id": ID, "artists_root": "../artists", "output_dir": "out", "seed": 7,
            "images": ["face.jpg"], "batch": 3
        })
        .to_string();
        let m = Manifest::parse(&text, Path::new("/jobs")).unwrap();
        assert_eq!(m.artists_root, Path::new("/jobs/../artists"));
        assert_eq!(m.output_dir, Path::new("/jobs/out"));
        assert_eq!(m.seed, 7);
        assert_eq!(
            m.request.images,
            vec![ImageRef::File("/jobs/face.jpg".into())]
        );
    }

    #[test]
    fn a_manifest_needs_its_paths_and_knows_its_fields() {
        let base = json!({ "artist_account_id": ID, "artists_root": "a", "output_dir": "o" });
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove("output_dir");
        assert_eq!(
            Manifest::parse(&missing.to_string(), Path::new("."))
                .unwrap_err()
                .field,
            "output_dir"
        );
        let mut typo = base.clone();
        typo.as_object_mut()
            .unwrap()
            .insert("bacth".into(), json!(2));
        assert_eq!(
            Manifest::parse(&typo.to_string(), Path::new("."))
                .unwrap_err()
                .field,
            "bacth"
        );
        assert_eq!(
            Manifest::parse("{ not json", Path::new("."))
                .unwrap_err()
                .field,
            "manifest"
        );
        let mut seed = base;
        seed.as_object_mut()
            .unwrap()
            .insert("seed".into(), json!(-1));
        assert_eq!(
            Manifest::parse(&seed.to_string(), Path::new("."))
                .unwrap_err()
                .field,
            "seed"
        );
    }
}
