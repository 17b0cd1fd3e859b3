//! Reader for CTranslate2's `model.bin`: a flat list of named, typed tensors.

use std::collections::HashMap;

use super::ModelError;

/// Element type of a CTranslate2 variable, as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl DType {
    fn from_code(code: u8) -> Option<DType> {
        Some(match code {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::Bf16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::Bf16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// One variable: its shape (outermost first, as in PyTorch) and its raw little-endian bytes.
#[derive(Debug, Clone, Copy)]
pub struct Variable<'a> {
    pub dims: &'a [usize],
    pub dtype: DType,
    pub data: &'a [u8],
}

/// A variable read as floats that holds integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected a float tensor, found {0:?}")]
pub struct NotFloat(pub DType);

impl Variable<'_> {
    pub fn elements(&self) -> usize {
        self.dims.iter().product()
    }

    /// The values widened to f32, whatever the stored float type.
    pub fn to_f32(self) -> Result<Vec<f32>, NotFloat> {
        let values = match self.dtype {
            DType::F32 => self
                .data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            DType::F16 => self
                .data
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            DType::Bf16 => self
                .data
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            other => return Err(NotFloat(other)),
        };
        Ok(values)
    }

    /// The values as IEEE half floats (the matrix type whisper.cpp's f16 models use).
    pub fn to_f16_bytes(self) -> Result<Vec<u8>, NotFloat> {
        match self.dtype {
            DType::F16 => Ok(self.data.to_vec()),
            _ => Ok(self
                .to_f32()?
                .into_iter()
                .flat_map(|v| half::f16::from_f32(v).to_le_bytes())
                .collect()),
        }
    }
}

struct Entry {
    dims: Vec<usize>,
    dtype: DType,
    range: std::ops::Range<usize>,
}

/// A parsed `model.bin`, borrowing the file's bytes.
pub struct Ct2Model<'a> {
    pub spec: String,
    pub version: u32,
    pub revision: u32,
    bytes: &'a [u8],
    entries: HashMap<String, Entry>,
    aliases: HashMap<String, String>,
}

/// Sanity caps so a hostile file cannot make us allocate absurdly.
const MAX_VARIABLES: u32 = 100_000;
const MAX_DIMS: u8 = 8;

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => Err(ModelError::Ct2Format(format!(
                "file ends early while reading {what} at byte {} (file is {} bytes): truncated?",
                self.pos,
                self.bytes.len()
            ))),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ModelError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A u16 length (counting the trailing NUL) followed by UTF-8 bytes.
    fn string(&mut self, what: &str) -> Result<String, ModelError> {
        let len = self.u16(what)? as usize;
        let raw = self.take(len, what)?;
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(raw.to_vec())
            .map_err(|_| ModelError::Ct2Format(format!("{what} is not valid UTF-8")))
    }
}

impl<'a> Ct2Model<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Ct2Model<'a>, ModelError> {
        let mut cur = Cursor { bytes, pos: 0 };
        let version = cur.u32("format version")?;
        if !(5..=6).contains(&version) {
            return Err(ModelError::Ct2Format(format!(
                "unsupported CTranslate2 format version {version} (expected 5 or 6)"
            )));
        }
        let spec = cur.string("spec name")?;
        let revision = cur.u32("spec revision")?;
        let count = cur.u32("variable count")?;
        if count > MAX_VARIABLES {
            return Err(ModelError::Ct2Format(format!(
                "declares {count} variables, more than the limit of {MAX_VARIABLES}"
            )));
        }
        let mut entries = HashMap::new();
        for _ in 0..count {
            let name = cur.string("variable name")?;
            let ndim = cur.u8("dimension count")?;
            if ndim > MAX_DIMS {
                return Err(ModelError::Ct2Format(format!(
                    "variable {name} has {ndim} dimensions"
                )));
            }
            let mut dims = Vec::with_capacity(ndim as usize);
            for _ in 0..ndim {
                dims.push(cur.u32("dimension")? as usize);
            }
            let code = cur.u8("dtype")?;
            let dtype = DType::from_code(code).ok_or_else(|| {
                ModelError::Ct2Format(format!("variable {name} has unknown dtype code {code}"))
            })?;
            let nbytes = cur.u32("byte count")? as usize;
            let expected = dims
                .iter()
                .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d));
            if expected != Some(nbytes) {
                return Err(ModelError::Ct2Format(format!(
                    "variable {name}: {nbytes} bytes do not match shape {dims:?} of {dtype:?}"
                )));
            }
            let start = cur.pos;
            cur.take(nbytes, &format!("data of {name}"))?;
            entries.insert(
                name,
                Entry {
                    dims,
                    dtype,
                    range: start..start + nbytes,
                },
            );
        }
        let mut aliases = HashMap::new();
        // Version 5 files may end without an alias table.
        if cur.pos < bytes.len() {
            let n = cur.u32("alias count")?;
            for _ in 0..n.min(MAX_VARIABLES) {
                let alias = cur.string("alias")?;
                let target = cur.string("alias target")?;
                aliases.insert(alias, target);
            }
        }
        Ok(Ct2Model {
            spec,
            version,
            revision,
            bytes,
            entries,
            aliases,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Looks a variable up by name, following aliases.
    pub fn get(&self, name: &str) -> Option<Variable<'_>> {
        let name = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        self.entries.get(name).map(|e| Variable {
            dims: &e.dims,
            dtype: e.dtype,
            data: &self.bytes[e.range.clone()],
        })
    }

    /// Like [`get`](Self::get), but a missing variable is an error naming it.
    pub fn require(&self, name: &str) -> Result<Variable<'_>, ModelError> {
        self.get(name)
            .ok_or_else(|| ModelError::Ct2Format(format!("variable {name} is missing")))
    }

    /// Reads a scalar integer variable such as `encoder/num_heads`.
    pub fn scalar(&self, name: &str) -> Option<i64> {
        let v = self.get(name)?;
        if v.elements() != 1 {
            return None;
        }
        Some(match v.dtype {
            DType::I8 => v.data[0] as i8 as i64,
            DType::I16 => i16::from_le_bytes([v.data[0], v.data[1]]) as i64,
            DType::I32 => i32::from_le_bytes([v.data[0], v.data[1], v.data[2], v.data[3]]) as i64,
            _ => return None,
        })
    }

    /// Counts `{prefix}/layer_N/` groups.
    pub fn layer_count(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| {
                let p = format!("{prefix}/layer_{i}/");
                self.entries.keys().any(|k| k.starts_with(&p))
            })
            .count()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a version-6 model.bin in memory from (name, dims, dtype code, bytes).
    pub fn build(vars: &[(&str, Vec<u32>, u8, Vec<u8>)], aliases: &[(&str, &str)]) -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend(((s.len() + 1) as u16).to_le_bytes());
            out.extend(s.as_bytes());
            out.push(0);
        }
        let mut out = Vec::new();
        out.extend(6u32.to_le_bytes());
        string(&mut out, "WhisperSpec");
        out.extend(3u32.to_le_bytes());
        out.extend((vars.len() as u32).to_le_bytes());
        for (name, dims, code, data) in vars {
            string(&mut out, name);
            out.push(dims.len() as u8);
            for d in dims {
                out.extend(d.to_le_bytes());
            }
            out.push(*code);
            out.extend((data.len() as u32).to_le_bytes());
            out.extend(data);
        }
        out.extend((aliases.len() as u32).to_le_bytes());
        for (a, t) in aliases {
            string(&mut out, a);
            string(&mut out, t);
        }
        out
    }

    #[test]
    fn parses_variables_and_follows_aliases() {
        let f16 = |v: f32| half::f16::from_f32(v).to_le_bytes().to_vec();
        let data: Vec<u8> = [1.0, 2.0, 3.0, 4.0].iter().flat_map(|&v| f16(v)).collect();
        let bytes = build(
            &[
                ("a/weight", vec![2, 2], 4, data),
                ("a/num_heads", vec![], 2, 6i16.to_le_bytes().to_vec()),
            ],
            &[("b/weight", "a/weight")],
        );
        let m = Ct2Model::parse(&bytes).unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        assert_eq!(m.len(), 2);
        let v = m.get("b/weight").unwrap();
        assert_eq!(v.dims, &[2, 2]);
        assert_eq!(v.to_f32().unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.scalar("a/num_heads"), Some(6));
    }

    #[test]
    fn truncated_file_is_an_error_not_a_panic() {
        let bytes = build(&[("a", vec![4], 0, vec![0; 16])], &[]);
        for cut in 0..bytes.len() - 4 {
            assert!(Ct2Model::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn byte_count_must_match_shape() {
        let bytes = build(&[("a", vec![4], 0, vec![0; 12])], &[]);
        let err = Ct2Model::parse(&bytes).err().unwrap().to_string();
        assert!(err.contains("do not match shape"), "{err}");
    }
}
