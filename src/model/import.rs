//! CTranslate2 Whisper (a wheel, a folder, or a `model.bin`) → whisper.cpp ggml.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ct2::{Ct2Model, NotFloat, Variable};
use super::ggml::{self, Hparams, Writer, TYPE_F16, TYPE_F32};
use super::{mel, vocab, ModelError};

/// The two files a CTranslate2 Whisper export consists of.
pub struct Ct2Files {
    pub model_bin: Vec<u8>,
    pub vocabulary: String,
    /// Where they were found, for messages.
    pub origin: String,
}

/// Largest `model.bin` we accept (Whisper large in f32 is about 6 GB).
const MAX_MODEL_BYTES: u64 = 8 << 30;

impl Ct2Files {
    /// Reads a wheel (`.whl`/`.zip`), a folder holding `model.bin` (searched a few levels deep),
    /// or a `model.bin` path with `vocabulary.txt` beside it.
    pub fn open(path: &Path) -> Result<Ct2Files, ModelError> {
        Self::open_all(&[path.to_path_buf()])
    }

    /// Like [`open`](Self::open), for a model whose `model.bin` is split into
    /// `model.bin.part1`, `model.bin.part2`, … across several sources (packages too large for
    /// a registry are published this way). The parts are joined in order; a missing part is
    /// named.
    pub fn open_all(paths: &[PathBuf]) -> Result<Ct2Files, ModelError> {
        let mut whole = None;
        let mut parts: Vec<(u32, Vec<u8>, String)> = Vec::new();
        let mut vocabulary = None;
        for path in paths {
            let found = Found::read(path)?;
            if let Some(bin) = found.whole {
                if whole.is_some() || paths.len() > 1 {
                    return Err(ModelError::Ct2Format(format!(
                        "{origin} holds a whole model.bin; import it on its own",
                        origin = bin.1
                    )));
                }
                whole = Some(bin);
            }
            parts.extend(found.parts);
            if vocabulary.is_none() {
                vocabulary = found.vocabulary;
            }
        }
        let first = paths.first().map(PathBuf::as_path).unwrap_or(Path::new(""));
        let (model_bin, origin) = match whole {
            Some(bin) => bin,
            None if parts.is_empty() => {
                return Err(ModelError::NoModelInSource {
                    source_path: first.to_path_buf(),
                })
            }
            None => {
                let (joined, origin) = join_parts(parts)?;
                // The last part cannot tell that more were meant to follow it: the joined file
                // says so by ending early.
                if let Err(e) = Ct2Model::parse(&joined) {
                    return Err(ModelError::IncompleteSplit {
                        given: origin,
                        reason: e.to_string(),
                    });
                }
                (joined, origin)
            }
        };
        let vocabulary = vocabulary.ok_or_else(|| ModelError::MissingVocabulary {
            source_path: first.to_path_buf(),
        })?;
        Ok(Ct2Files {
            model_bin,
            vocabulary,
            origin,
        })
    }

    /// SHA-256 over both files: identifies the source for the import record.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(&self.model_bin);
        h.update(self.vocabulary.as_bytes());
        hex::encode(h.finalize())
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>, ModelError> {
    let len = fs::metadata(path)
        .map_err(|e| ModelError::io(path, e))?
        .len();
    if len > MAX_MODEL_BYTES {
        return Err(ModelError::TooLarge {
            path: path.to_path_buf(),
            bytes: len,
        });
    }
    fs::read(path).map_err(|e| ModelError::io(path, e))
}

/// What one source holds of a CTranslate2 export: a whole `model.bin` or numbered parts of
/// one, and perhaps the vocabulary. Each item carries where it was found, for messages.
#[derive(Default)]
struct Found {
    whole: Option<(Vec<u8>, String)>,
    parts: Vec<(u32, Vec<u8>, String)>,
    vocabulary: Option<String>,
}

/// The part number of a `model.bin.partN` file name.
fn part_number(name: &str) -> Option<u32> {
    let file = name.rsplit('/').next().unwrap_or(name);
    file.strip_prefix("model.bin.part")?.parse().ok()
}

fn is_whole(name: &str) -> bool {
    name.rsplit('/').next() == Some("model.bin")
}

impl Found {
    fn read(path: &Path) -> Result<Found, ModelError> {
        let meta = fs::metadata(path).map_err(|e| ModelError::io(path, e))?;
        if meta.is_dir() {
            let files = files_in_dir(path, 4);
            let model = files
                .iter()
                .filter(|f| {
                    is_whole(&f.to_string_lossy()) || part_number(&f.to_string_lossy()).is_some()
                })
                .min_by_key(|f| f.components().count());
            let Some(model) = model else {
                return Err(ModelError::NoModelInSource {
                    source_path: path.to_path_buf(),
                });
            };
            // Everything beside the shallowest model file: one export, not a stray copy.
            let dir = model.parent().unwrap_or(path);
            let mut found = Found::default();
            for f in files.iter().filter(|f| f.parent() == Some(dir)) {
                found.add_file(f)?;
            }
            return Ok(found);
        }
        let mut head = [0u8; 4];
        let n = fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| ModelError::io(path, e))?;
        if n == 4 && &head == b"PK\x03\x04" {
            return Self::read_zip(path);
        }
        let mut found = Found::default();
        found.add_file(path)?;
        let vocab_path = path.with_file_name("vocabulary.txt");
        if found.vocabulary.is_none() && vocab_path.is_file() {
            found.add_file(&vocab_path)?;
        }
        if found.whole.is_none() && found.parts.is_empty() {
            // Any other single file is taken as a model.bin, and its parser judges it.
            found.whole = Some((read_capped(path)?, path.display().to_string()));
        }
        Ok(found)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), ModelError> {
        let name = path.to_string_lossy();
        let origin = path.display().to_string();
        if is_whole(&name) {
            self.whole = Some((read_capped(path)?, origin));
        } else if let Some(n) = part_number(&name) {
            self.parts.push((n, read_capped(path)?, origin));
        } else if name.rsplit('/').next() == Some("vocabulary.txt") {
            let text = fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
            self.vocabulary = Some(text);
        }
        Ok(())
    }

    fn read_zip(path: &Path) -> Result<Found, ModelError> {
        let file = fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
        let bad = |e: zip::result::ZipError| ModelError::BadArchive {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
        let names: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect();
        // The shallowest model file decides the export's folder inside the archive.
        let Some(model_name) = names
            .iter()
            .filter(|n| is_whole(n) || part_number(n).is_some())
            .min_by_key(|n| n.len())
        else {
            return Err(ModelError::NoModelInSource {
                source_path: path.to_path_buf(),
            });
        };
        let folder = &model_name[..model_name.rfind('/').map_or(0, |i| i + 1)];
        let mut read = |name: &str| -> Result<Vec<u8>, ModelError> {
            let entry = zip.by_name(name).map_err(bad)?;
            if entry.size() > MAX_MODEL_BYTES {
                return Err(ModelError::TooLarge {
                    path: path.join(name),
                    bytes: entry.size(),
                });
            }
            let mut out = Vec::with_capacity(entry.size() as usize);
            entry
                .take(MAX_MODEL_BYTES)
                .read_to_end(&mut out)
                .map_err(|e| ModelError::BadArchive {
                    path: path.to_path_buf(),
                    reason: format!("{name}: {e}"),
                })?;
            Ok(out)
        };
        let mut found = Found::default();
        for name in names.iter().filter(|n| {
            n.strip_prefix(folder)
                .is_some_and(|rest| !rest.contains('/'))
        }) {
            let origin = format!("{}:{name}", path.display());
            if is_whole(name) {
                found.whole = Some((read(name)?, origin));
            } else if let Some(n) = part_number(name) {
                found.parts.push((n, read(name)?, origin));
            } else if name.ends_with("vocabulary.txt") {
                let text = String::from_utf8(read(name)?).map_err(|_| {
                    ModelError::Ct2Format(format!("{name} in {} is not UTF-8", path.display()))
                })?;
                found.vocabulary = Some(text);
            }
        }
        Ok(found)
    }
}

/// Joins `model.bin.part1 … partN` in order; every number from 1 to the highest must be there
/// exactly once.
fn join_parts(mut parts: Vec<(u32, Vec<u8>, String)>) -> Result<(Vec<u8>, String), ModelError> {
    parts.sort_by_key(|p| p.0);
    let highest = parts.last().map_or(0, |p| p.0);
    for n in 1..=highest {
        match parts.iter().filter(|p| p.0 == n).count() {
            1 => {}
            0 => {
                return Err(ModelError::MissingPart {
                    part: n,
                    of: highest,
                    given: parts.iter().map(|p| p.2.clone()).collect(),
                })
            }
            _ => {
                return Err(ModelError::Ct2Format(format!(
                    "model.bin.part{n} was given more than once"
                )))
            }
        }
    }
    if parts.first().is_some_and(|p| p.0 == 0) {
        return Err(ModelError::Ct2Format(
            "model.bin parts are numbered from 1".into(),
        ));
    }
    let total = parts.iter().map(|p| p.1.len()).sum();
    let origin = parts
        .iter()
        .map(|p| p.2.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let mut joined = Vec::with_capacity(total);
    for (_, bytes, _) in parts {
        joined.extend_from_slice(&bytes);
    }
    Ok((joined, origin))
}

/// Files under `dir`, up to `depth` folders down, in a stable order.
fn files_in_dir(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if depth > 0 {
                out.extend(files_in_dir(&p, depth - 1));
            }
        } else {
            out.push(p);
        }
    }
    out
}

/// Hyper-parameters read off the CTranslate2 variables' shapes.
pub fn hparams_of(m: &Ct2Model) -> Result<Hparams, ModelError> {
    if m.spec != "WhisperSpec" {
        return Err(ModelError::Ct2Format(format!(
            "model is a {}, not a Whisper model",
            m.spec
        )));
    }
    let dims = |name: &str| -> Result<Vec<i32>, ModelError> {
        Ok(m.require(name)?.dims.iter().map(|&d| d as i32).collect())
    };
    let heads = |name: &str| {
        m.scalar(name)
            .map(|v| v as i32)
            .ok_or_else(|| ModelError::Ct2Format(format!("variable {name} is missing")))
    };
    let emb = dims("decoder/embeddings/weight")?;
    let enc_pos = dims("encoder/position_encodings/encodings")?;
    let dec_pos = dims("decoder/position_encodings/encodings")?;
    let conv1 = dims("encoder/conv1/weight")?;
    if emb.len() != 2 || enc_pos.len() != 2 || dec_pos.len() != 2 || conv1.len() != 3 {
        return Err(ModelError::Ct2Format("unexpected embedding shapes".into()));
    }
    Ok(Hparams {
        n_vocab: emb[0],
        n_audio_ctx: enc_pos[0],
        n_audio_state: enc_pos[1],
        n_audio_head: heads("encoder/num_heads")?,
        n_audio_layer: m.layer_count("encoder") as i32,
        n_text_ctx: dec_pos[0],
        n_text_state: emb[1],
        n_text_head: heads("decoder/num_heads")?,
        n_text_layer: m.layer_count("decoder") as i32,
        n_mels: conv1[1],
        ftype: 1,
    })
}

/// Token bytes for whisper.cpp: the vocabulary's lines before `<|endoftext|>`, whose special
/// tokens whisper.cpp numbers itself.
pub fn vocabulary_bytes(vocabulary: &str) -> Result<Vec<Vec<u8>>, ModelError> {
    let table = vocab::unicode_to_byte();
    let mut out = Vec::new();
    for (i, line) in vocabulary.lines().enumerate() {
        if line == "<|endoftext|>" {
            return Ok(out);
        }
        let bytes = vocab::token_bytes(line, &table).ok_or_else(|| {
            ModelError::Ct2Format(format!(
                "vocabulary line {} ({line:?}) is not GPT-2 byte-level text",
                i + 1
            ))
        })?;
        out.push(bytes);
    }
    Err(ModelError::Ct2Format(
        "vocabulary has no <|endoftext|> token".into(),
    ))
}

/// Writes `files` as a ggml model. Returns the hyper-parameters written.
pub fn convert(files: &Ct2Files, out: impl Write) -> Result<Hparams, ModelError> {
    let m = Ct2Model::parse(&files.model_bin)?;
    let h = hparams_of(&m)?;
    let tokens = vocabulary_bytes(&files.vocabulary)?;
    let n_fft = 400; // Whisper's 25 ms window at 16 kHz
    let mut w = Writer::new(out);
    let io = |e: io::Error| ModelError::Write(e.to_string());
    w.header(&h).map_err(io)?;
    let filters = mel::filterbank(16_000, n_fft, h.n_mels as usize);
    w.mel_filters(h.n_mels as usize, n_fft / 2 + 1, &filters)
        .map_err(io)?;
    w.vocabulary(&tokens).map_err(io)?;

    let mut put = |name: &str, v: Variable, kind: Kind| -> Result<(), ModelError> {
        put_tensor(&mut w, name, v, kind)
    };
    put(
        "encoder.positional_embedding",
        m.require("encoder/position_encodings/encodings")?,
        Kind::F32,
    )?;
    for conv in ["conv1", "conv2"] {
        put(
            &format!("encoder.{conv}.weight"),
            m.require(&format!("encoder/{conv}/weight"))?,
            Kind::F16,
        )?;
        put(
            &format!("encoder.{conv}.bias"),
            m.require(&format!("encoder/{conv}/bias"))?,
            Kind::ConvBias,
        )?;
    }
    for i in 0..h.n_audio_layer {
        let (src, dst) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        self_attention(
            &m,
            &mut put,
            &format!("{src}/self_attention"),
            &format!("{dst}.attn"),
            h.n_audio_state,
        )?;
        feed_forward(&m, &mut put, &src, &dst)?;
    }
    norm(&m, &mut put, "encoder/layer_norm", "encoder.ln_post")?;

    put(
        "decoder.positional_embedding",
        m.require("decoder/position_encodings/encodings")?,
        Kind::F32,
    )?;
    put(
        "decoder.token_embedding.weight",
        m.require("decoder/embeddings/weight")?,
        Kind::F16,
    )?;
    for i in 0..h.n_text_layer {
        let (src, dst) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        self_attention(
            &m,
            &mut put,
            &format!("{src}/self_attention"),
            &format!("{dst}.attn"),
            h.n_text_state,
        )?;
        cross_attention(
            &m,
            &mut put,
            &format!("{src}/attention"),
            &format!("{dst}.cross_attn"),
            h.n_text_state,
        )?;
        feed_forward(&m, &mut put, &src, &dst)?;
    }
    norm(&m, &mut put, "decoder/layer_norm", "decoder.ln")?;
    w.finish().flush().map_err(io)?;
    Ok(h)
}

/// How a tensor is stored in the ggml file.
#[derive(Clone, Copy)]
enum Kind {
    F32,
    F16,
    /// Conv biases are `(n, 1)` f32 in whisper.cpp.
    ConvBias,
}

fn put_tensor<W: Write>(
    w: &mut Writer<W>,
    name: &str,
    v: Variable,
    kind: Kind,
) -> Result<(), ModelError> {
    let bad = |e: NotFloat| ModelError::Ct2Format(format!("{name}: {e}"));
    let io = |e: io::Error| ModelError::Write(e.to_string());
    // 1-D tensors are always f32 for whisper.cpp, whatever the caller asked.
    let kind = if v.dims.len() == 1 && matches!(kind, Kind::F16) {
        Kind::F32
    } else {
        kind
    };
    match kind {
        Kind::F16 => w.tensor(name, v.dims, TYPE_F16, &v.to_f16_bytes().map_err(bad)?),
        Kind::F32 | Kind::ConvBias => {
            let data: Vec<u8> = v
                .to_f32()
                .map_err(bad)?
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect();
            let shape = if matches!(kind, Kind::ConvBias) {
                vec![v.elements(), 1]
            } else {
                v.dims.to_vec()
            };
            w.tensor(name, &shape, TYPE_F32, &data)
        }
    }
    .map_err(io)
}

/// Rows `[from, to)` of a 2-D variable or elements of a 1-D one: pieces of a fused projection.
fn rows<'a>(v: Variable<'a>, from: usize, to: usize, dims: &'a mut Vec<usize>) -> Variable<'a> {
    let row_elems: usize = v.dims[1..].iter().product();
    let size = v.dtype.size() * row_elems;
    dims.clear();
    dims.push(to - from);
    dims.extend_from_slice(&v.dims[1..]);
    Variable {
        dims,
        dtype: v.dtype,
        data: &v.data[from * size..to * size],
    }
}

type Put<'p> = dyn FnMut(&str, Variable, Kind) -> Result<(), ModelError> + 'p;

fn norm(m: &Ct2Model, put: &mut Put, src: &str, dst: &str) -> Result<(), ModelError> {
    put(
        &format!("{dst}.weight"),
        m.require(&format!("{src}/gamma"))?,
        Kind::F32,
    )?;
    put(
        &format!("{dst}.bias"),
        m.require(&format!("{src}/beta"))?,
        Kind::F32,
    )
}

fn linear(m: &Ct2Model, put: &mut Put, src: &str, dst: &str) -> Result<(), ModelError> {
    put(
        &format!("{dst}.weight"),
        m.require(&format!("{src}/weight"))?,
        Kind::F16,
    )?;
    put(
        &format!("{dst}.bias"),
        m.require(&format!("{src}/bias"))?,
        Kind::F32,
    )
}

/// Splits a fused projection into named parts of `n` rows each; the key part gets no bias,
/// since Whisper's key projection has none (CTranslate2 stores zeros there).
fn split_fused(
    m: &Ct2Model,
    put: &mut Put,
    src: &str,
    dst: &str,
    parts: &[&str],
    n: usize,
) -> Result<(), ModelError> {
    let weight = m.require(&format!("{src}/weight"))?;
    let bias = m.require(&format!("{src}/bias"))?;
    if weight.dims.len() != 2
        || weight.dims[0] != n * parts.len()
        || bias.elements() != n * parts.len()
    {
        return Err(ModelError::Ct2Format(format!(
            "{src}: fused projection has shape {:?}, expected {} rows",
            weight.dims,
            n * parts.len()
        )));
    }
    for (i, part) in parts.iter().enumerate() {
        let mut dims = Vec::new();
        put(
            &format!("{dst}.{part}.weight"),
            rows(weight, i * n, (i + 1) * n, &mut dims),
            Kind::F16,
        )?;
        if *part != "key" {
            let mut dims = Vec::new();
            put(
                &format!("{dst}.{part}.bias"),
                rows(bias, i * n, (i + 1) * n, &mut dims),
                Kind::F32,
            )?;
        }
    }
    Ok(())
}

fn self_attention(
    m: &Ct2Model,
    put: &mut Put,
    src: &str,
    dst: &str,
    n: i32,
) -> Result<(), ModelError> {
    norm(m, put, &format!("{src}/layer_norm"), &format!("{dst}_ln"))?;
    split_fused(
        m,
        put,
        &format!("{src}/linear_0"),
        dst,
        &["query", "key", "value"],
        n as usize,
    )?;
    linear(m, put, &format!("{src}/linear_1"), &format!("{dst}.out"))
}

fn cross_attention(
    m: &Ct2Model,
    put: &mut Put,
    src: &str,
    dst: &str,
    n: i32,
) -> Result<(), ModelError> {
    norm(m, put, &format!("{src}/layer_norm"), &format!("{dst}_ln"))?;
    linear(m, put, &format!("{src}/linear_0"), &format!("{dst}.query"))?;
    split_fused(
        m,
        put,
        &format!("{src}/linear_1"),
        dst,
        &["key", "value"],
        n as usize,
    )?;
    linear(m, put, &format!("{src}/linear_2"), &format!("{dst}.out"))
}

fn feed_forward(m: &Ct2Model, put: &mut Put, src: &str, dst: &str) -> Result<(), ModelError> {
    norm(
        m,
        put,
        &format!("{src}/ffn/layer_norm"),
        &format!("{dst}.mlp_ln"),
    )?;
    linear(
        m,
        put,
        &format!("{src}/ffn/linear_0"),
        &format!("{dst}.mlp.0"),
    )?;
    linear(
        m,
        put,
        &format!("{src}/ffn/linear_1"),
        &format!("{dst}.mlp.2"),
    )
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Kept next to an imported model so that a second import of the same source is a no-op.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq, Debug)]
struct ImportRecord {
    source_sha256: String,
    model_sha256: String,
}

fn record_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".import.json");
    output.with_file_name(name)
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut f = fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut h = Sha256::new();
    io::copy(&mut f, &mut h).map_err(|e| ModelError::io(path, e))?;
    Ok(hex::encode(h.finalize()))
}

/// What an import did.
#[derive(Debug, serde::Serialize)]
pub struct ImportReport {
    pub output: PathBuf,
    pub sha256: String,
    /// True when an identical earlier import was found and left as it was.
    pub kept: bool,
    pub summary: ggml::Summary,
}

/// The file name whisper.cpp's own downloads give a model of these hyper-parameters
/// (`ggml-tiny.en.bin`, `ggml-base.bin`, …): where an import goes when nothing says otherwise.
pub fn conventional_name(h: &Hparams) -> String {
    let lang = if h.is_multilingual() { "" } else { ".en" };
    format!("ggml-{}{lang}.bin", h.size_name())
}

/// The hyper-parameters of a source, read without converting it.
pub fn source_hparams(files: &Ct2Files) -> Result<Hparams, ModelError> {
    hparams_of(&Ct2Model::parse(&files.model_bin)?)
}

/// Converts `sources` (one export, or the parts of a split one) into a ggml model at `output`, atomically: the file appears complete and
/// checked, or not at all. An existing output from the same source with the recorded checksum
/// is kept.
/// `output` None: the models folder, under the model's [`conventional_name`].
pub fn import(sources: &[PathBuf], output: Option<&Path>) -> Result<ImportReport, ModelError> {
    let files = Ct2Files::open_all(sources)?;
    let output = &match output {
        Some(p) => p.to_path_buf(),
        None => super::models_dir().join(conventional_name(&source_hparams(&files)?)),
    };
    let source_sha256 = files.digest();
    let record_file = record_path(output);
    if output.is_file() {
        let old: Option<ImportRecord> = fs::read(&record_file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(old) = old.filter(|r| r.source_sha256 == source_sha256) {
            if sha256_file(output)? == old.model_sha256 {
                let summary = super::inspect_file(output)?;
                return Ok(ImportReport {
                    output: output.to_path_buf(),
                    sha256: old.model_sha256,
                    kept: true,
                    summary,
                });
            }
        }
    }

    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| ModelError::io(&dir, e))?;
    let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| ModelError::io(&dir, e))?;
    let model_sha256 = {
        let mut out = Hashing {
            inner: BufWriter::new(tmp.as_file()),
            hash: Sha256::new(),
        };
        convert(&files, &mut out)?;
        out.flush().map_err(|e| ModelError::io(tmp.path(), e))?;
        hex::encode(out.hash.finalize())
    };
    let summary = super::inspect_file(tmp.path())?;
    tmp.persist(output)
        .map_err(|e| ModelError::io(output, e.error))?;
    let record = ImportRecord {
        source_sha256,
        model_sha256: model_sha256.clone(),
    };
    let json = serde_json::to_vec_pretty(&record).expect("record serialises");
    fs::write(&record_file, json).map_err(|e| ModelError::io(&record_file, e))?;
    Ok(ImportReport {
        output: output.to_path_buf(),
        sha256: model_sha256,
        kept: false,
        summary,
    })
}
