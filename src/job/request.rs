//! The create request (the seeds' POST /api/content/create body) and the render-node manifest
//! built on it, read with serde: every field's reader checks its value, and a failure names
//! its field by path (`serde_path_to_error`) with the message the API documents.

use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::caption::CaptionLength;
use crate::transcribe::language::UnknownLanguage;
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

/// The create body's fields, in the order the API documents them.
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

/// The create body as sent. Each field's reader checks its own JSON value and answers with
/// the message the API documents, so a failure names the field (by its path) and says what
/// is wrong with it. An absent or null field takes its default.
#[derive(Deserialize)]
struct Body {
    #[serde(default, deserialize_with = "artist_account_id")]
    artist_account_id: Option<String>,
    #[serde(default, deserialize_with = "template")]
    template: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    lipsync: Option<bool>,
    #[serde(default, deserialize_with = "caption_length")]
    caption_length: CaptionLength,
    #[serde(default, deserialize_with = "language")]
    language: Option<Language>,
    #[serde(default, deserialize_with = "flag")]
    upscale: Option<bool>,
    #[serde(default = "one", deserialize_with = "batch")]
    batch: u32,
    #[serde(default, deserialize_with = "songs")]
    songs: Vec<SongRef>,
    #[serde(default, deserialize_with = "strings")]
    images: Vec<String>,
}

/// A manifest's own fields beside the request's.
#[derive(Deserialize)]
struct Places {
    #[serde(default, deserialize_with = "path")]
    artists_root: Option<String>,
    #[serde(default, deserialize_with = "path")]
    output_dir: Option<String>,
    #[serde(default, deserialize_with = "seed")]
    seed: u64,
}

const MANIFEST_FIELDS: &[&str] = &["artists_root", "output_dir", "seed"];

impl CreateRequest {
    /// Validates a JSON body. `base` resolves relative image paths (manifests only; `None`
    /// accepts URLs alone, as the HTTP API does).
    pub fn from_json(value: &Value, base: Option<&Path>) -> Result<CreateRequest, FieldError> {
        let body: Body = read(value)?;
        let artist_account_id = body
            .artist_account_id
            .ok_or_else(|| field_error("artist_account_id", "is required"))?;
        let images = body
            .images
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
            template: body.template,
            lipsync: body.lipsync,
            caption_length: body.caption_length,
            language: body.language,
            upscale: body.upscale.unwrap_or(false),
            batch: body.batch,
            songs: body.songs,
            images,
        })
    }
}

/// `T` read from the object `value`; a failure names its field by path (`results[2].status`).
pub(crate) fn read<'a, T: Deserialize<'a>>(value: &'a Value) -> Result<T, FieldError> {
    // serde would also read a struct from an array, by position.
    if !value.is_object() {
        return Err(field_error("body", "expected a JSON object"));
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| field_error(&e.path().to_string(), e.inner().to_string()))
}

/// A field's JSON value, turned into `T` by `check` or refused with its message.
pub(crate) fn checked<'de, D: Deserializer<'de>, T, M: std::fmt::Display>(
    d: D,
    check: impl FnOnce(Value) -> Result<T, M>,
) -> Result<T, D::Error> {
    check(Value::deserialize(d)?).map_err(D::Error::custom)
}

fn artist_account_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked(d, |v| match v {
        Value::String(s) if uuid::Uuid::parse_str(&s).is_ok() => Ok(Some(s.to_ascii_lowercase())),
        _ => Err("must be a UUID".to_string()),
    })
}

fn template<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::String(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        _ => Err("must be a non-empty string".to_string()),
    })
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        _ => Err("must be true or false".to_string()),
    })
}

fn caption_length<'de, D: Deserializer<'de>>(d: D) -> Result<CaptionLength, D::Error> {
    checked(d, |v| {
        match v {
            Value::Null => Some(CaptionLength::None),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| "must be one of none, short, medium, long".to_string())
    })
}

fn language<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Language>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|e: UnknownLanguage| e.to_string()),
        _ => Err("must be a string: auto or a language code such as es".to_string()),
    })
}

fn one() -> u32 {
    1
}

fn batch<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    checked(d, |v| {
        if v.is_null() {
            return Ok(1);
        }
        // JSON Schema counts 2.0 as the integer 2, and so do we.
        let n = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(MAX_BATCH)).contains(f))
                .map(|f| f as u64)
        });
        match n {
            Some(n) if (1..=u64::from(MAX_BATCH)).contains(&n) => Ok(n as u32),
            _ => Err(format!("must be an integer from 1 to {MAX_BATCH}")),
        }
    })
}

/// A list of non-empty strings, trimmed.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                _ => Err("must be a list of non-empty strings".to_string()),
            })
            .collect(),
        _ => Err("must be a list of strings".to_string()),
    })
}

fn songs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SongRef>, D::Error> {
    strings(d)?
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
        .collect::<Result<_, _>>()
        .map_err(|e| D::Error::custom(e.message))
}

fn path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked(d, |v| match v {
        Value::String(s) if !s.is_empty() => Ok(Some(s)),
        _ => Err("must be a non-empty path".to_string()),
    })
}

fn seed<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(0),
        v => v
            .as_u64()
            .ok_or_else(|| "must be a non-negative integer".to_string()),
    })
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
        if let Some(key) = obj.keys().find(|k| {
            !REQUEST_FIELDS.contains(&k.as_str()) && !MANIFEST_FIELDS.contains(&k.as_str())
        }) {
            return Err(field_error(key, "unknown field"));
        }
        let places: Places = read(&value)?;
        let required = |field: &str, path: Option<String>| {
            path.map(|p| dir.join(p))
                .ok_or_else(|| field_error(field, "is required"))
        };
        Ok(Manifest {
            request,
            artists_root: required("artists_root", places.artists_root)?,
            output_dir: required("output_dir", places.output_dir)?,
            seed: places.seed,
        })
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
    fn field_errors_keep_the_messages_the_api_documents() {
        let message = |v: Value| err(v).to_string();
        assert_eq!(message(json!({})), "artist_account_id: is required");
        assert_eq!(
            message(json!({ "artist_account_id": null })),
            "artist_account_id: must be a UUID"
        );
        assert_eq!(
            message(json!({ "artist_account_id": ID, "batch": "2" })),
            "batch: must be an integer from 1 to 30"
        );
        assert_eq!(
            message(json!({ "artist_account_id": ID, "songs": ["a", ""] })),
            "songs: must be a list of non-empty strings"
        );
        assert_eq!(
            message(json!({ "artist_account_id": ID, "songs": ["a/b"] })),
            r#"songs: "a/b" is neither a song slug nor an http(s) URL"#
        );
        assert_eq!(
            message(json!({ "artist_account_id": ID, "language": 3 })),
            "language: must be a string: auto or a language code such as es"
        );
        assert_eq!(message(json!("body")), "body: expected a JSON object");
        // Nulls are defaults, not errors; unknown fields are ignored by the API.
        let r = CreateRequest::from_json(
            &json!({ "artist_account_id": ID, "template": null, "batch": null, "songs": null,
                     "caption_length": null, "extra": 1 }),
            None,
        )
        .unwrap();
        assert_eq!((r.template, r.batch, r.songs.len()), (None, 1, 0));
    }

    #[test]
    fn the_field_list_a_manifest_checks_is_the_request_the_body_reads() {
        let r = CreateRequest::from_json(&json!({ "artist_account_id": ID }), None).unwrap();
        let keys: Vec<String> = r.to_json().as_object().unwrap().keys().cloned().collect();
        let mut known: Vec<String> = REQUEST_FIELDS.iter().map(|k| k.to_string()).collect();
        known.sort();
        assert_eq!(keys, known);
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
