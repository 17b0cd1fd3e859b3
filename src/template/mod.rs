//! Templates: the look of a video as data. Each lives in `assets/templates/<id>/template.json`
//! with its scene images beside it, so adding or tuning one needs no code change.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::animate::Move;

mod json;
pub use json::to_json;

use crate::compose::Grade;

/// Why templates could not be loaded or one could not be found.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No template has this id. The message is what the HTTP API answers with.
    #[error("Template not found")]
    NotFound { id: String },

    /// A file or folder could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// template.json is not valid JSON or does not match the schema; `field` is a path such as
    /// `moods[2].grade.contrast` (empty when the problem is the document itself).
    #[error("{}: {}{message}", path.display(), field_prefix(field))]
    Json {
        path: PathBuf,
        field: String,
        message: String,
    },

    /// The JSON parsed but its content is unusable.
    #[error("{}: {}{message}", path.display(), field_prefix(field))]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },

    /// A scene names an image that is not there.
    #[error("{}: scene file {file:?} does not exist ({})", path.display(), scene.display())]
    MissingScene {
        path: PathBuf,
        file: String,
        scene: PathBuf,
    },
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("field `{field}`: ")
    }
}

/// Where the artist's face goes in a scene: the subject is framed so that the detected face
/// lands here at this size, the body running off the bottom of the frame.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FacePlacement {
    /// Centre of the face as fractions of the frame's width and height.
    pub center: [f32; 2],
    /// The face's height (brows to chin) as a fraction of the frame height.
    pub size: f32,
}

impl FacePlacement {
    /// Where the compositor puts the face.
    pub fn spot(&self) -> crate::compose::FaceSpot {
        crate::compose::FaceSpot {
            center_x: self.center[0],
            center_y: self.center[1],
            face_height: self.size,
        }
    }
}

/// How a template shows the song's lyrics on screen, line by line in time.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LyricsDisplay {
    pub style: LyricsStyle,
    /// Keep the written caption on screen too; it moves clear of the lyrics. Without it the
    /// lyrics replace the on-screen caption (the caption text is still written for the post).
    #[serde(default)]
    pub with_caption: bool,
}

/// Lyric line styles.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LyricsStyle {
    /// Each line while it is sung.
    Lines,
    /// Each line while it is sung, its words lighting up one by one as they are sung.
    Karaoke,
}

/// One reference scene of a template.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Image file, relative to the template's folder.
    pub file: String,
    /// Where the face guide goes; None for scenes without the artist.
    #[serde(default)]
    pub face: Option<FacePlacement>,
    /// Where a given image stands as the featured record sleeve: its corners (top-left,
    /// top-right, bottom-right, bottom-left) as fractions of the scene.
    #[serde(default)]
    pub sleeve: Option<[[f32; 2]; 4]>,
}

/// A named grade variation; each video of a batch draws one.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mood {
    pub name: String,
    #[serde(default)]
    pub grade: Grade,
}

/// A named camera motion; each video of a batch draws one.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Movement {
    pub name: String,
    pub kind: Move,
    /// 0 = barely moving, 1 = the strongest motion the animator allows.
    pub strength: f32,
}

/// How captions for this template are written.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct CaptionGuide {
    /// Which sentence frames the captions use.
    #[serde(default)]
    pub voice: crate::caption::Voice,
    /// A few words on the voice, e.g. "intimate, soft, lowercase".
    #[serde(default)]
    pub tone: String,
    #[serde(default)]
    pub rules: Vec<String>,
    /// Patterns with placeholders: `{lyric}`, `{line}`, `{artist}`, `{mood}`, `{theme}`, `{moment}`.
    #[serde(default)]
    pub formats: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

/// A template: scenes, look, motion and caption voice.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    pub description: String,
    pub scenes: Vec<Scene>,
    /// The template's base grade; a mood's grade is applied on top (`style.then(&mood.grade)`).
    #[serde(default)]
    pub style: Grade,
    pub moods: Vec<Mood>,
    pub movements: Vec<Movement>,
    #[serde(default)]
    pub caption_guide: CaptionGuide,
    pub uses_face_guide: bool,
    #[serde(default)]
    pub uses_image_overlay: bool,
    #[serde(default = "default_duration")]
    pub default_duration_seconds: f32,
    /// Whether videos are lipsync when a request does not say.
    #[serde(default)]
    pub default_lipsync: bool,
    /// Depth of field: how much the scene behind the artist is blurred (radius in pixels of a
    /// 720-wide frame, 0 = sharp).
    #[serde(default)]
    pub scene_blur: f32,
    /// Whether an artist's own scenes (`context/images/scenes/*`) replace the template's, with
    /// the first scene's face spot.
    #[serde(default)]
    pub uses_artist_scenes: bool,
    /// Lyrics shown on screen in time with the song; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lyrics: Option<LyricsDisplay>,
    /// Folder the template was loaded from; scene files are relative to it.
    #[serde(skip)]
    dir: PathBuf,
}

fn default_duration() -> f32 {
    8.0
}

impl Template {
    /// The "no template" mode: a neutral look, a few gentle generic movements, a plain caption
    /// guide and no scenes (the caller uses the face guide itself as the scene).
    pub fn malleable() -> Template {
        let movement = |name: &str, kind, strength| Movement {
            name: name.to_string(),
            kind,
            strength,
        };
        let mood = |name: &str, grade| Mood {
            name: name.to_string(),
            grade,
        };
        Template {
            id: "malleable".to_string(),
            description: "No template: the request's own images and songs, neutral look"
                .to_string(),
            scenes: Vec::new(),
            style: Grade::default(),
            moods: vec![
                mood("natural", Grade::default()),
                mood(
                    "warm",
                    Grade {
                        temperature: 0.25,
                        ..Grade::default()
                    },
                ),
                mood(
                    "cool",
                    Grade {
                        temperature: -0.2,
                        ..Grade::default()
                    },
                ),
                mood(
                    "vivid",
                    Grade {
                        contrast: 1.08,
                        saturation: 1.12,
                        ..Grade::default()
                    },
                ),
            ],
            movements: vec![
                movement("slow push in", Move::PushIn, 0.4),
                movement("gentle drift", Move::Drift, 0.35),
                movement("breathing", Move::Breathing, 0.3),
                movement("slow pull out", Move::PullOut, 0.35),
            ],
            caption_guide: CaptionGuide {
                voice: crate::caption::Voice::Soft,
                tone: "plain, warm, direct".to_string(),
                rules: vec![
                    "Quote the lyric as sung".to_string(),
                    "No hashtags, no emoji".to_string(),
                ],
                formats: vec!["{lyric}".to_string(), "{lyric} — {artist}".to_string()],
                examples: Vec::new(),
            },
            uses_face_guide: true,
            uses_image_overlay: false,
            default_duration_seconds: default_duration(),
            default_lipsync: false,
            scene_blur: 0.0,
            uses_artist_scenes: false,
            lyrics: None,
            dir: PathBuf::new(),
        }
    }

    /// The folder this template was loaded from (empty for [`Template::malleable`]).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of scene `i`; the index wraps around the scene count so a random number can be
    /// passed directly. With no scenes (malleable mode) this is the template folder itself.
    pub fn scene_path(&self, i: usize) -> PathBuf {
        match self.scenes.len() {
            0 => self.dir.clone(),
            n => self.dir.join(&self.scenes[i % n].file),
        }
    }

    /// The mood with this name (case-insensitive).
    pub fn mood(&self, name: &str) -> Option<&Mood> {
        self.moods
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// The template's style followed by the mood's grade.
    pub fn graded(&self, mood: &Mood) -> Grade {
        self.style.then(&mood.grade)
    }

    /// Reads and validates `<dir>/template.json`; the id must equal the folder's name.
    pub fn load(dir: &Path) -> Result<Template, TemplateError> {
        let path = dir.join("template.json");
        let text = std::fs::read_to_string(&path).map_err(|source| TemplateError::Io {
            path: path.clone(),
            source,
        })?;
        let mut template = parse(&path, &text)?;
        template.dir = dir.to_path_buf();
        template.validate(&path)?;
        Ok(template)
    }

    fn validate(&self, path: &Path) -> Result<(), TemplateError> {
        let invalid = |field: &str, message: String| TemplateError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        };
        let folder = self.dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if self.id.trim().is_empty() {
            return Err(invalid("id", "is empty".into()));
        }
        if !folder.is_empty() && self.id != folder {
            return Err(invalid(
                "id",
                format!("{:?} does not match its folder name {folder:?}", self.id),
            ));
        }
        if self.scenes.is_empty() {
            return Err(invalid(
                "scenes",
                "a template needs at least one scene".into(),
            ));
        }
        if self.moods.is_empty() {
            return Err(invalid(
                "moods",
                "a template needs at least one mood".into(),
            ));
        }
        if self.movements.is_empty() {
            return Err(invalid(
                "movements",
                "a template needs at least one movement".into(),
            ));
        }
        if !(self.default_duration_seconds.is_finite() && self.default_duration_seconds > 0.0) {
            return Err(invalid(
                "default_duration_seconds",
                "must be a positive number of seconds".into(),
            ));
        }
        if !(self.scene_blur.is_finite() && (0.0..=40.0).contains(&self.scene_blur)) {
            return Err(invalid("scene_blur", "must lie in 0..40 pixels".into()));
        }
        for (i, scene) in self.scenes.iter().enumerate() {
            let file = Path::new(&scene.file);
            if scene.file.trim().is_empty()
                || file.is_absolute()
                || file
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(invalid(
                    &format!("scenes[{i}].file"),
                    format!("{:?} must be a path inside the template folder", scene.file),
                ));
            }
            let full = self.dir.join(file);
            if !full.is_file() {
                return Err(TemplateError::MissingScene {
                    path: path.to_path_buf(),
                    file: scene.file.clone(),
                    scene: full,
                });
            }
            if let Some(quad) = &scene.sleeve {
                let inside = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
                if !quad.iter().flatten().all(|&v| inside(v)) {
                    return Err(invalid(
                        &format!("scenes[{i}].sleeve"),
                        "corner fractions must lie in 0..1".into(),
                    ));
                }
            }
            match &scene.face {
                Some(face) => {
                    let [x, y] = face.center;
                    let inside = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
                    if !inside(x) || !inside(y) {
                        return Err(invalid(
                            &format!("scenes[{i}].face.center"),
                            "fractions must lie in 0..1".into(),
                        ));
                    }
                    if !(face.size.is_finite() && face.size > 0.0 && face.size <= 0.6) {
                        return Err(invalid(
                            &format!("scenes[{i}].face.size"),
                            "must lie in (0, 0.6]".into(),
                        ));
                    }
                }
                None if self.uses_face_guide => {
                    return Err(invalid(
                        &format!("scenes[{i}].face"),
                        "uses_face_guide is set, so every scene needs a face placement".into(),
                    ));
                }
                None => {}
            }
        }
        for (i, mood) in self.moods.iter().enumerate() {
            if mood.name.trim().is_empty() {
                return Err(invalid(&format!("moods[{i}].name"), "is empty".into()));
            }
            if self.moods[..i]
                .iter()
                .any(|m| m.name.eq_ignore_ascii_case(&mood.name))
            {
                return Err(invalid(
                    &format!("moods[{i}].name"),
                    format!("{:?} appears twice", mood.name),
                ));
            }
            check_grade(&mood.grade)
                .map_err(|m| invalid(&format!("moods[{i}].grade.{m}"), "out of range".into()))?;
        }
        check_grade(&self.style)
            .map_err(|m| invalid(&format!("style.{m}"), "out of range".into()))?;
        for (i, movement) in self.movements.iter().enumerate() {
            if movement.name.trim().is_empty() {
                return Err(invalid(&format!("movements[{i}].name"), "is empty".into()));
            }
            if !(movement.strength.is_finite() && (0.0..=1.0).contains(&movement.strength)) {
                return Err(invalid(
                    &format!("movements[{i}].strength"),
                    "must lie in 0..1".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Names the first grade field outside its sensible range.
fn check_grade(g: &Grade) -> Result<(), &'static str> {
    let ok = |v: f32, lo: f32, hi: f32| v.is_finite() && (lo..=hi).contains(&v);
    let checks = [
        ("exposure", ok(g.exposure, -4.0, 4.0)),
        ("contrast", ok(g.contrast, 0.0, 3.0)),
        ("saturation", ok(g.saturation, 0.0, 3.0)),
        ("temperature", ok(g.temperature, -1.0, 1.0)),
        ("tint", ok(g.tint, -1.0, 1.0)),
        ("vignette", ok(g.vignette, 0.0, 1.0)),
        ("fade", ok(g.fade, 0.0, 1.0)),
    ];
    match checks.iter().find(|(_, good)| !good) {
        Some((name, _)) => Err(name),
        None => Ok(()),
    }
}

/// Parses template.json; a schema error is named by the failing field's path, e.g.
/// `movements[1].kind` (empty when the document itself is at fault, or is not JSON: the
/// message then gives the line and column).
fn parse(path: &Path, text: &str) -> Result<Template, TemplateError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let named = field != "." && inner.is_data();
        TemplateError::Json {
            path: path.to_path_buf(),
            field: if named { field } else { String::new() },
            message: inner.to_string(),
        }
    })
}

/// Every template in an assets folder, by id.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_id: BTreeMap<String, Template>,
}

impl Templates {
    /// Loads every `<id>/template.json` under `dir`. `dir` may be the templates folder itself
    /// or an assets folder containing `templates/`. Folders without a template.json are skipped;
    /// any template that fails validation fails the whole load, so bad data shows at start-up.
    pub fn load(dir: &Path) -> Result<Templates, TemplateError> {
        let nested = dir.join("templates");
        let dir = if nested.is_dir() {
            nested
        } else {
            dir.to_path_buf()
        };
        let io_error = |source| TemplateError::Io {
            path: dir.clone(),
            source,
        };
        let mut folders = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && path.is_dir() && path.join("template.json").is_file() {
                folders.push(path);
            }
        }
        let mut by_id = BTreeMap::new();
        for folder in folders {
            let template = Template::load(&folder)?;
            by_id.insert(template.id.clone(), template);
        }
        Ok(Templates { by_id })
    }

    /// Loads the templates shipped with the program ([`bundled_assets_dir`]).
    pub fn load_bundled() -> Result<Templates, TemplateError> {
        Templates::load(&bundled_assets_dir())
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.by_id.get(id)
    }

    /// Like [`Templates::get`], but an unknown id is a [`TemplateError::NotFound`].
    pub fn require(&self, id: &str) -> Result<&Template, TemplateError> {
        self.get(id)
            .ok_or_else(|| TemplateError::NotFound { id: id.to_string() })
    }

    /// All templates, sorted by id.
    pub fn list(&self) -> impl Iterator<Item = &Template> {
        self.by_id.values()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The assets shipped with the program: an `assets` folder beside the executable or up to
/// three folders above it (so `target/release/reelforge` finds the repository's); else the
/// source tree's.
pub fn bundled_assets_dir() -> PathBuf {
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        for dir in exe_dir.ancestors().take(4) {
            let candidate = dir.join("assets");
            if candidate.join("templates").is_dir() {
                return candidate;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const IDS: [&str; 5] = [
        "album-record-store",
        "artist-caption-bedroom",
        "artist-caption-outside",
        "artist-caption-stage",
        "artist-release-editorial",
    ];

    fn shipped() -> Templates {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/templates");
        match Templates::load(&dir) {
            Ok(t) => t,
            Err(e) => panic!("shipped templates must load: {e}"),
        }
    }

    #[test]
    fn shipped_templates_load_and_validate() {
        let templates = shipped();
        let ids: Vec<&str> = templates.list().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, IDS, "sorted by id");
        for t in templates.list() {
            assert_eq!(t.scenes.len(), 3, "{}", t.id);
            assert!((4..=6).contains(&t.moods.len()), "{}", t.id);
            assert!((4..=6).contains(&t.movements.len()), "{}", t.id);
            assert_eq!(t.default_duration_seconds, 8.0);
            assert!(!t.caption_guide.formats.is_empty(), "{}", t.id);
            assert!(!t.caption_guide.examples.is_empty(), "{}", t.id);
            for i in 0..t.scenes.len() {
                let img = image::open(t.scene_path(i)).expect("scene decodes");
                assert_eq!((img.width(), img.height()), (1080, 1920), "{}", t.id);
            }
        }
        let store = templates.get("album-record-store").unwrap();
        assert!(!store.uses_face_guide);
        assert!(store.scenes.iter().all(|s| s.face.is_none()));
        let editorial = templates.get("artist-release-editorial").unwrap();
        assert!(editorial.uses_face_guide && editorial.uses_image_overlay);
        use crate::caption::Voice::*;
        let voices: Vec<_> = templates.list().map(|t| t.caption_guide.voice).collect();
        assert_eq!(voices, [Crate, Soft, Soft, Bold, Editorial], "in id order");
    }

    #[test]
    fn each_id_is_present_and_unknown_is_not_found() {
        let templates = shipped();
        for id in IDS {
            assert!(templates.get(id).is_some(), "{id}");
            assert_eq!(templates.require(id).unwrap().id, id);
        }
        assert!(templates.get("nope").is_none());
        let err = templates.require("nope").unwrap_err();
        assert_eq!(err.to_string(), "Template not found");
        assert!(Templates::load_bundled().is_ok());
    }

    #[test]
    fn load_accepts_the_assets_folder_too() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        assert_eq!(Templates::load(&dir).unwrap().len(), 5);
    }

    fn broken_copy(edit: impl Fn(&mut Value)) -> (tempfile::TempDir, PathBuf) {
        let src =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/templates/artist-caption-bedroom");
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("artist-caption-bedroom");
        std::fs::create_dir_all(dir.join("scenes")).unwrap();
        let text = std::fs::read_to_string(src.join("template.json")).unwrap();
        let mut value: Value = serde_json::from_str(&text).unwrap();
        for scene in value["scenes"].as_array().unwrap() {
            let file = scene["file"].as_str().unwrap();
            std::fs::copy(src.join(file), dir.join(file)).unwrap();
        }
        edit(&mut value);
        std::fs::write(dir.join("template.json"), value.to_string()).unwrap();
        (tmp, dir)
    }

    #[test]
    fn broken_json_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("artist-caption-bedroom");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("template.json"),
            "{ \"id\": \"artist-caption-bedroom\", ",
        )
        .unwrap();
        let err = Templates::load(tmp.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, TemplateError::Json { .. }), "{msg}");
        assert!(
            msg.contains("artist-caption-bedroom/template.json"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_field_type_names_the_field() {
        let (_tmp, dir) = broken_copy(|v| v["movements"][1]["kind"] = Value::from("zoom_blur"));
        let err = Template::load(&dir).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("template.json"), "{msg}");
        assert!(msg.contains("movements[1].kind"), "{msg}");

        let (_tmp, dir) = broken_copy(|v| v["moods"][0]["grade"]["contrast"] = Value::from("high"));
        let msg = Template::load(&dir).unwrap_err().to_string();
        assert!(msg.contains("moods[0].grade.contrast"), "{msg}");

        let (_tmp, dir) = broken_copy(|v| v["caption_guide"]["voice"] = Value::from("loud"));
        let msg = Template::load(&dir).unwrap_err().to_string();
        assert!(msg.contains("caption_guide.voice"), "{msg}");
        assert!(msg.contains("unknown variant `loud`"), "{msg}");

        let (_tmp, dir) = broken_copy(|v| {
            v.as_object_mut().unwrap().remove("moods");
        });
        let msg = Template::load(&dir).unwrap_err().to_string();
        assert!(msg.contains("moods"), "{msg}");
    }

    #[test]
    fn validation_errors() {
        let (_tmp, dir) =
            broken_copy(|v| v["scenes"][0]["file"] = Value::from("scenes/missing.jpg"));
        let err = Template::load(&dir).unwrap_err();
        assert!(matches!(err, TemplateError::MissingScene { .. }), "{err}");
        assert!(err.to_string().contains("missing.jpg"));

        let (_tmp, dir) = broken_copy(|v| v["moods"] = Value::Array(vec![]));
        let msg = Template::load(&dir).unwrap_err().to_string();
        assert!(msg.contains("moods"), "{msg}");

        let (_tmp, dir) = broken_copy(|v| v["movements"] = Value::Array(vec![]));
        assert!(Template::load(&dir)
            .unwrap_err()
            .to_string()
            .contains("movements"));

        let (_tmp, dir) = broken_copy(|v| v["scenes"] = Value::Array(vec![]));
        assert!(Template::load(&dir)
            .unwrap_err()
            .to_string()
            .contains("scenes"));

        let (_tmp, dir) = broken_copy(|v| v["id"] = Value::from("something-else"));
        assert!(Template::load(&dir)
            .unwrap_err()
            .to_string()
            .contains("folder"));

        let (_tmp, dir) = broken_copy(|v| v["movements"][0]["strength"] = Value::from(3.0));
        let msg = Template::load(&dir).unwrap_err().to_string();
        assert!(msg.contains("movements[0].strength"), "{msg}");

        let (_tmp, dir) = broken_copy(|v| v["scenes"][0]["file"] = Value::from("../../etc/passwd"));
        assert!(Template::load(&dir).is_err());
    }

    #[test]
    fn malleable_and_scene_paths() {
        let m = Template::malleable();
        assert!(m.scenes.is_empty());
        assert!(m.style.is_identity());
        assert!(!m.movements.is_empty() && !m.moods.is_empty());
        assert!(!m.caption_guide.formats.is_empty());
        let templates = shipped();
        let t = templates.get("artist-caption-stage").unwrap();
        assert_eq!(t.scene_path(0), t.scene_path(t.scenes.len()));
        assert!(t.scene_path(1).ends_with(&t.scenes[1].file));
        let mood = &t.moods[0];
        assert_eq!(t.graded(mood), t.style.then(&mood.grade));
        assert!(t.mood(&mood.name.to_uppercase()).is_some());
    }

    #[test]
    fn movement_kinds_round_trip() {
        for kind in Move::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<Move>(&json).unwrap(), kind);
        }
    }
}
