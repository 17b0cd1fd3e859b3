//! whisper.cpp's ggml model file: header, mel filters, vocabulary, then tensors.
//!
//! Writing follows the layout whisper.cpp's loader reads; reading checks a file against the
//! tensor list whisper.cpp expects for its hyper-parameters, without loading the weights.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use super::ModelError;

pub const MAGIC: u32 = 0x6767_6d6c;

/// Tensor element types as whisper.cpp's ggml files record them.
pub const TYPE_F32: i32 = 0;
pub const TYPE_F16: i32 = 1;

/// The model's hyper-parameters, in header order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl Hparams {
    fn fields(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// The size name whisper.cpp gives a model with this many layers.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown",
        }
    }

    /// English-only models have one token fewer than multilingual ones.
    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= 51865
    }

    /// Every tensor whisper.cpp loads for these hyper-parameters, with its ggml shape
    /// (innermost dimension first) and element type.
    pub fn expected_tensors(&self) -> BTreeMap<String, (Vec<i64>, i32)> {
        let wtype = if self.ftype == 0 { TYPE_F32 } else { TYPE_F16 };
        let mut t = BTreeMap::new();
        let mut add = |name: String, ne: Vec<i32>, ty: i32| {
            t.insert(name, (ne.into_iter().map(i64::from).collect(), ty));
        };
        let (a, ta) = (self.n_audio_state, self.n_text_state);
        add(
            "encoder.positional_embedding".into(),
            vec![a, self.n_audio_ctx],
            TYPE_F32,
        );
        add(
            "encoder.conv1.weight".into(),
            vec![3, self.n_mels, a],
            wtype,
        );
        add("encoder.conv1.bias".into(), vec![1, a], TYPE_F32);
        add("encoder.conv2.weight".into(), vec![3, a, a], wtype);
        add("encoder.conv2.bias".into(), vec![1, a], TYPE_F32);
        add("encoder.ln_post.weight".into(), vec![a], TYPE_F32);
        add("encoder.ln_post.bias".into(), vec![a], TYPE_F32);
        for i in 0..self.n_audio_layer {
            let p = format!("encoder.blocks.{i}");
            add_block(&mut add, &p, "attn", a, wtype);
            add_mlp(&mut add, &p, a, wtype);
        }
        add(
            "decoder.positional_embedding".into(),
            vec![ta, self.n_text_ctx],
            TYPE_F32,
        );
        add(
            "decoder.token_embedding.weight".into(),
            vec![ta, self.n_vocab],
            wtype,
        );
        add("decoder.ln.weight".into(), vec![ta], TYPE_F32);
        add("decoder.ln.bias".into(), vec![ta], TYPE_F32);
        for i in 0..self.n_text_layer {
            let p = format!("decoder.blocks.{i}");
            add_block(&mut add, &p, "attn", ta, wtype);
            add_block(&mut add, &p, "cross_attn", ta, wtype);
            add_mlp(&mut add, &p, ta, wtype);
        }
        t
    }
}

/// An attention block: its layer norm and query/key/value/out projections (key has no bias).
fn add_block(add: &mut impl FnMut(String, Vec<i32>, i32), p: &str, kind: &str, n: i32, w: i32) {
    add(format!("{p}.{kind}_ln.weight"), vec![n], TYPE_F32);
    add(format!("{p}.{kind}_ln.bias"), vec![n], TYPE_F32);
    for proj in ["query", "key", "value", "out"] {
        add(format!("{p}.{kind}.{proj}.weight"), vec![n, n], w);
        if proj != "key" {
            add(format!("{p}.{kind}.{proj}.bias"), vec![n], TYPE_F32);
        }
    }
}

fn add_mlp(add: &mut impl FnMut(String, Vec<i32>, i32), p: &str, n: i32, w: i32) {
    add(format!("{p}.mlp_ln.weight"), vec![n], TYPE_F32);
    add(format!("{p}.mlp_ln.bias"), vec![n], TYPE_F32);
    add(format!("{p}.mlp.0.weight"), vec![n, 4 * n], w);
    add(format!("{p}.mlp.0.bias"), vec![4 * n], TYPE_F32);
    add(format!("{p}.mlp.2.weight"), vec![4 * n, n], w);
    add(format!("{p}.mlp.2.bias"), vec![n], TYPE_F32);
}

/// Streams a ggml model file out, section by section, in the order the loader reads.
pub struct Writer<W: Write> {
    out: W,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Self {
        Writer { out }
    }

    fn i32(&mut self, v: i32) -> io::Result<()> {
        self.out.write_all(&v.to_le_bytes())
    }

    pub fn header(&mut self, h: &Hparams) -> io::Result<()> {
        self.out.write_all(&MAGIC.to_le_bytes())?;
        h.fields().iter().try_for_each(|&v| self.i32(v))
    }

    /// Mel filterbank, `n_mel` rows of `n_fft` bins.
    pub fn mel_filters(&mut self, n_mel: usize, n_fft: usize, data: &[f32]) -> io::Result<()> {
        assert_eq!(data.len(), n_mel * n_fft, "mel filter size");
        self.i32(n_mel as i32)?;
        self.i32(n_fft as i32)?;
        data.iter()
            .try_for_each(|v| self.out.write_all(&v.to_le_bytes()))
    }

    pub fn vocabulary(&mut self, tokens: &[Vec<u8>]) -> io::Result<()> {
        self.i32(tokens.len() as i32)?;
        for t in tokens {
            self.out.write_all(&(t.len() as u32).to_le_bytes())?;
            self.out.write_all(t)?;
        }
        Ok(())
    }

    /// One tensor. `shape` is PyTorch order (outermost first); ggml stores it reversed.
    pub fn tensor(&mut self, name: &str, shape: &[usize], ty: i32, data: &[u8]) -> io::Result<()> {
        self.i32(shape.len() as i32)?;
        self.i32(name.len() as i32)?;
        self.i32(ty)?;
        for &d in shape.iter().rev() {
            self.i32(d as i32)?;
        }
        self.out.write_all(name.as_bytes())?;
        self.out.write_all(data)
    }

    pub fn finish(self) -> W {
        self.out
    }
}

/// What [`inspect`] found in a ggml file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub hparams: Hparams,
    pub mel_bins: (i32, i32),
    pub vocabulary_tokens: i32,
    pub tensors: usize,
    pub bytes: u64,
}

const MAX_NAME: i32 = 1024;
const MAX_VOCAB: i32 = 1_000_000;
const MAX_MEL: i32 = 1024;

fn read_i32(r: &mut impl Read, what: &str) -> Result<i32, ModelError> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(|e| truncated(what, e))?;
    Ok(i32::from_le_bytes(b))
}

fn truncated(what: &str, e: io::Error) -> ModelError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        ModelError::GgmlFormat(format!("file ends early while reading {what}: truncated?"))
    } else {
        ModelError::GgmlFormat(format!("cannot read {what}: {e}"))
    }
}

fn skip(r: &mut impl Read, n: u64, what: &str) -> Result<(), ModelError> {
    let copied = io::copy(&mut r.take(n), &mut io::sink()).map_err(|e| truncated(what, e))?;
    if copied != n {
        return Err(truncated(what, io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(())
}

/// Reads a ggml model's structure and checks every tensor's name, type and shape against what
/// whisper.cpp expects, without keeping the weights in memory.
pub fn inspect(r: &mut impl Read) -> Result<Summary, ModelError> {
    let magic = read_i32(r, "magic")? as u32;
    if magic != MAGIC {
        return Err(ModelError::GgmlFormat(format!(
            "bad magic {magic:#010x}: not a ggml Whisper model"
        )));
    }
    let mut f = [0i32; 11];
    for v in f.iter_mut() {
        *v = read_i32(r, "hyper-parameters")?;
    }
    let h = Hparams {
        n_vocab: f[0],
        n_audio_ctx: f[1],
        n_audio_state: f[2],
        n_audio_head: f[3],
        n_audio_layer: f[4],
        n_text_ctx: f[5],
        n_text_state: f[6],
        n_text_head: f[7],
        n_text_layer: f[8],
        n_mels: f[9],
        ftype: f[10],
    };
    if f[..10].iter().any(|&v| v <= 0 || v > MAX_VOCAB) || !(0..=1).contains(&h.ftype) {
        return Err(ModelError::GgmlFormat(format!(
            "implausible hyper-parameters {h:?} (only f32/f16 models are checked)"
        )));
    }
    let (n_mel, n_fft) = (read_i32(r, "mel size")?, read_i32(r, "mel size")?);
    if !(1..=MAX_MEL).contains(&n_mel) || !(1..=MAX_MEL).contains(&n_fft) {
        return Err(ModelError::GgmlFormat(format!(
            "implausible mel filter size {n_mel}x{n_fft}"
        )));
    }
    skip(r, 4 * n_mel as u64 * n_fft as u64, "mel filters")?;
    let n_tokens = read_i32(r, "vocabulary size")?;
    if !(0..=h.n_vocab).contains(&n_tokens) {
        return Err(ModelError::GgmlFormat(format!(
            "vocabulary holds {n_tokens} tokens but the model has {}",
            h.n_vocab
        )));
    }
    for _ in 0..n_tokens {
        let len = read_i32(r, "token length")?;
        if !(0..=MAX_NAME).contains(&len) {
            return Err(ModelError::GgmlFormat(format!("token length {len}")));
        }
        skip(r, len as u64, "token")?;
    }

    let expected = h.expected_tensors();
    let mut seen = std::collections::BTreeSet::new();
    let mut total: u64 = 0;
    loop {
        let mut first = [0u8; 4];
        match r.read(&mut first[..1]) {
            Ok(0) => break,
            Ok(_) => r
                .read_exact(&mut first[1..])
                .map_err(|e| truncated("tensor header", e))?,
            Err(e) => return Err(truncated("tensor header", e)),
        }
        let n_dims = i32::from_le_bytes(first);
        let name_len = read_i32(r, "tensor header")?;
        let ty = read_i32(r, "tensor header")?;
        if !(1..=4).contains(&n_dims) || !(1..=MAX_NAME).contains(&name_len) {
            return Err(ModelError::GgmlFormat(format!(
                "corrupt tensor header after {} tensors (dims {n_dims}, name length {name_len})",
                seen.len()
            )));
        }
        let mut ne = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            ne.push(read_i32(r, "tensor shape")? as i64);
        }
        let mut name = vec![0u8; name_len as usize];
        r.read_exact(&mut name)
            .map_err(|e| truncated("tensor name", e))?;
        let name = String::from_utf8_lossy(&name).into_owned();
        let Some((want_ne, want_ty)) = expected.get(&name) else {
            return Err(ModelError::GgmlFormat(format!("unexpected tensor {name}")));
        };
        if &ne != want_ne || ty != *want_ty {
            return Err(ModelError::GgmlFormat(format!(
                "tensor {name} has shape {ne:?} type {ty}, expected {want_ne:?} type {want_ty}"
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(ModelError::GgmlFormat(format!(
                "tensor {name} appears twice"
            )));
        }
        let elem = if ty == TYPE_F32 { 4 } else { 2 };
        let n: u64 = ne.iter().map(|&d| d as u64).product::<u64>() * elem;
        skip(r, n, &format!("data of tensor {name}"))?;
        total += n;
    }
    if let Some(missing) = expected.keys().find(|k| !seen.contains(*k)) {
        return Err(ModelError::GgmlFormat(format!(
            "{} of {} tensors present; first missing: {missing}",
            seen.len(),
            expected.len()
        )));
    }
    Ok(Summary {
        hparams: h,
        mel_bins: (n_mel, n_fft),
        vocabulary_tokens: n_tokens,
        tensors: seen.len(),
        bytes: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Hparams {
        Hparams {
            n_vocab: 51864,
            n_audio_ctx: 1500,
            n_audio_state: 384,
            n_audio_head: 6,
            n_audio_layer: 4,
            n_text_ctx: 448,
            n_text_state: 384,
            n_text_head: 6,
            n_text_layer: 4,
            n_mels: 80,
            ftype: 1,
        }
    }

    #[test]
    fn tiny_model_has_167_tensors() {
        // 7 encoder globals + 15 per encoder layer, 4 decoder globals + 24 per decoder layer.
        assert_eq!(tiny().expected_tensors().len(), 7 + 4 * 15 + 4 + 4 * 24);
    }

    #[test]
    fn written_file_reads_back() {
        let h = Hparams {
            n_vocab: 8,
            n_audio_ctx: 2,
            n_audio_state: 4,
            n_audio_head: 1,
            n_audio_layer: 1,
            n_text_ctx: 2,
            n_text_state: 4,
            n_text_head: 1,
            n_text_layer: 1,
            n_mels: 2,
            ftype: 1,
        };
        let mut w = Writer::new(Vec::new());
        w.header(&h).unwrap();
        w.mel_filters(2, 3, &[0.0; 6]).unwrap();
        w.vocabulary(&[b"a".to_vec(), b"bc".to_vec()]).unwrap();
        for (name, (ne, ty)) in h.expected_tensors() {
            let shape: Vec<usize> = ne.iter().rev().map(|&d| d as usize).collect();
            let n: usize = shape.iter().product::<usize>() * if ty == 0 { 4 } else { 2 };
            w.tensor(&name, &shape, ty, &vec![0; n]).unwrap();
        }
        let bytes = w.finish();
        let s = inspect(&mut bytes.as_slice()).unwrap();
        assert_eq!(s.tensors, h.expected_tensors().len());
        assert_eq!(s.vocabulary_tokens, 2);

        // Every truncation is reported, never a panic.
        for cut in (0..bytes.len()).step_by(7) {
            assert!(inspect(&mut &bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn wrong_magic_is_named() {
        let err = inspect(&mut &b"RIFF\0\0\0\0"[..]).unwrap_err().to_string();
        assert!(err.contains("not a ggml Whisper model"), "{err}");
    }
}
