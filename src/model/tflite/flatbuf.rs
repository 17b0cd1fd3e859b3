//! Minimal bounds-checked flatbuffer reader plus the slice of the TFLite
//! schema (`schema.fbs`) that the converter needs.
//!
//! The model file is untrusted: every offset is checked, and the total number
//! of vector elements materialised is capped so that tables shared through
//! aliasing offsets cannot blow up memory.

use crate::model::tflite::TfliteError;
use std::cell::Cell;

fn bad(what: impl Into<String>) -> TfliteError {
    TfliteError::Malformed { what: what.into() }
}

/// The raw buffer plus a budget of elements we are willing to copy out.
pub struct Reader<'a> {
    buf: &'a [u8],
    budget: Cell<usize>,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        // Honest files copy each element once; allow generous slack.
        let budget = buf.len().saturating_mul(2).saturating_add(1 << 16);
        Reader {
            buf,
            budget: Cell::new(budget),
        }
    }

    fn charge(&self, n: usize) -> Result<(), TfliteError> {
        let left = self.budget.get();
        if n > left {
            return Err(bad(
                "vectors alias each other too much (element budget exceeded)",
            ));
        }
        self.budget.set(left - n);
        Ok(())
    }

    fn bytes(&self, pos: usize, len: usize) -> Result<&'a [u8], TfliteError> {
        pos.checked_add(len)
            .and_then(|end| self.buf.get(pos..end))
            .ok_or_else(|| {
                bad(format!(
                    "read of {len} bytes at offset {pos} is out of bounds"
                ))
            })
    }

    fn u16(&self, pos: usize) -> Result<u16, TfliteError> {
        let b = self.bytes(pos, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&self, pos: usize) -> Result<u32, TfliteError> {
        let b = self.bytes(pos, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&self, pos: usize) -> Result<u64, TfliteError> {
        let b = self.bytes(pos, 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Follows a forward `uoffset_t` stored at `pos`.
    fn deref(&self, pos: usize) -> Result<usize, TfliteError> {
        let off = self.u32(pos)? as usize;
        pos.checked_add(off)
            .filter(|&p| p < self.buf.len())
            .ok_or_else(|| bad(format!("offset at {pos} points outside the buffer")))
    }

    pub fn table(&self, pos: usize) -> Result<Table<'_, 'a>, TfliteError> {
        let soff = self.u32(pos)? as i32 as i64;
        let vt = pos as i64 - soff;
        if vt < 0 || vt as u64 >= self.buf.len() as u64 {
            return Err(bad(format!("vtable of table at {pos} is out of bounds")));
        }
        let vt = vt as usize;
        let vt_len = self.u16(vt)? as usize;
        if vt_len < 4 || !vt_len.is_multiple_of(2) {
            return Err(bad(format!("vtable at {vt} has bad length {vt_len}")));
        }
        self.bytes(vt, vt_len)?;
        Ok(Table {
            r: self,
            pos,
            vt,
            vt_len,
        })
    }

    /// Root table, after checking the `TFL3` file identifier.
    pub fn root(&self) -> Result<Table<'_, 'a>, TfliteError> {
        if self.bytes(4, 4)? != b"TFL3" {
            return Err(bad("missing TFL3 file identifier"));
        }
        self.table(self.deref(0)?)
    }
}

#[derive(Clone, Copy)]
pub struct Table<'r, 'a> {
    r: &'r Reader<'a>,
    pos: usize,
    vt: usize,
    vt_len: usize,
}

/// A bounds-checked vector: `len` elements starting at `start`.
#[derive(Clone, Copy)]
pub struct Vector {
    start: usize,
    len: usize,
}

impl<'r, 'a> Table<'r, 'a> {
    /// Absolute position of field `slot`, or None when absent (default).
    fn field(&self, slot: usize) -> Result<Option<usize>, TfliteError> {
        let voff = 4 + 2 * slot;
        if voff + 2 > self.vt_len {
            return Ok(None);
        }
        let off = self.r.u16(self.vt + voff)? as usize;
        Ok(if off == 0 { None } else { Some(self.pos + off) })
    }

    pub fn u8(&self, slot: usize, default: u8) -> Result<u8, TfliteError> {
        match self.field(slot)? {
            Some(p) => Ok(self.r.bytes(p, 1)?[0]),
            None => Ok(default),
        }
    }

    pub fn i8(&self, slot: usize, default: i8) -> Result<i8, TfliteError> {
        Ok(self.u8(slot, default as u8)? as i8)
    }

    pub fn u32(&self, slot: usize, default: u32) -> Result<u32, TfliteError> {
        match self.field(slot)? {
            Some(p) => self.r.u32(p),
            None => Ok(default),
        }
    }

    pub fn i32(&self, slot: usize, default: i32) -> Result<i32, TfliteError> {
        Ok(self.u32(slot, default as u32)? as i32)
    }

    pub fn u64(&self, slot: usize, default: u64) -> Result<u64, TfliteError> {
        match self.field(slot)? {
            Some(p) => self.r.u64(p),
            None => Ok(default),
        }
    }

    pub fn table(&self, slot: usize) -> Result<Option<Table<'r, 'a>>, TfliteError> {
        match self.field(slot)? {
            Some(p) => Ok(Some(self.r.table(self.r.deref(p)?)?)),
            None => Ok(None),
        }
    }

    /// Vector whose elements are `size` bytes each (4 for offsets).
    pub fn vector(&self, slot: usize, size: usize) -> Result<Option<Vector>, TfliteError> {
        let Some(p) = self.field(slot)? else {
            return Ok(None);
        };
        let vpos = self.r.deref(p)?;
        let len = self.r.u32(vpos)? as usize;
        let start = vpos + 4;
        let total = len
            .checked_mul(size)
            .ok_or_else(|| bad("vector length overflows"))?;
        self.r.bytes(start, total)?;
        self.r.charge(len)?;
        Ok(Some(Vector { start, len }))
    }

    pub fn bytes(&self, slot: usize) -> Result<&'a [u8], TfliteError> {
        match self.vector(slot, 1)? {
            Some(v) => self.r.bytes(v.start, v.len),
            None => Ok(&[]),
        }
    }

    pub fn string(&self, slot: usize) -> Result<Option<String>, TfliteError> {
        match self.vector(slot, 1)? {
            Some(v) => Ok(Some(
                String::from_utf8_lossy(self.r.bytes(v.start, v.len)?).into_owned(),
            )),
            None => Ok(None),
        }
    }

    pub fn i32s(&self, slot: usize) -> Result<Vec<i32>, TfliteError> {
        let Some(v) = self.vector(slot, 4)? else {
            return Ok(Vec::new());
        };
        (0..v.len)
            .map(|i| Ok(self.r.u32(v.start + 4 * i)? as i32))
            .collect()
    }

    pub fn tables(&self, slot: usize) -> Result<Vec<Table<'r, 'a>>, TfliteError> {
        let Some(v) = self.vector(slot, 4)? else {
            return Ok(Vec::new());
        };
        (0..v.len)
            .map(|i| self.r.table(self.r.deref(v.start + 4 * i)?))
            .collect()
    }
}

// ---- TFLite schema subset (field slots follow schema.fbs declaration order) ----

pub struct OpCode {
    pub builtin: i32,
    pub custom: Option<String>,
}

pub struct Tensor {
    pub name: String,
    pub shape: Vec<i32>,
    pub dtype: i8,
    pub buffer: u32,
}

pub struct Operator<'r, 'a> {
    pub opcode_index: u32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    /// BuiltinOptions union tag, checked before `options` is interpreted.
    pub options_type: u8,
    pub options: Option<Table<'r, 'a>>,
    /// A custom operator's options, in the operator's own format.
    pub custom_options: &'a [u8],
}

pub struct Model<'r, 'a> {
    pub version: u32,
    pub opcodes: Vec<OpCode>,
    pub tensors: Vec<Tensor>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub operators: Vec<Operator<'r, 'a>>,
    pub buffers: Vec<&'a [u8]>,
}

impl<'r, 'a> Model<'r, 'a> {
    pub fn parse(r: &'r Reader<'a>) -> Result<Self, TfliteError> {
        let m = r.root()?;
        // Model: version, operator_codes, subgraphs, description, buffers.
        let version = m.u32(0, 0)?;
        let opcodes = m
            .tables(1)?
            .iter()
            .map(|t| {
                // OperatorCode: deprecated_builtin_code:byte, custom_code, version, builtin_code:int.
                // Writers fill one or both codes; the larger one is authoritative.
                let dep = t.i8(0, 0)? as i32;
                let code = t.i32(3, 0)?;
                Ok(OpCode {
                    builtin: dep.max(code),
                    custom: t.string(1)?,
                })
            })
            .collect::<Result<Vec<_>, TfliteError>>()?;
        let subgraphs = m.tables(2)?;
        let Some(g) = subgraphs.first() else {
            return Err(bad("model has no subgraph"));
        };
        let buffers = m
            .tables(4)?
            .iter()
            .map(|b| {
                // Buffer: data:[ubyte], offset:ulong, size:ulong. Models over 2 GB keep
                // data outside the flatbuffer, at an absolute file offset (> 1).
                let off = b.u64(1, 0)?;
                if off > 1 {
                    let size = b.u64(2, 0)?;
                    let (o, s) = (usize::try_from(off), usize::try_from(size));
                    match (o, s) {
                        (Ok(o), Ok(s)) => r.bytes(o, s),
                        _ => Err(bad("buffer offset/size out of range")),
                    }
                } else {
                    b.bytes(0)
                }
            })
            .collect::<Result<Vec<_>, TfliteError>>()?;
        // SubGraph: tensors, inputs, outputs, operators, name.
        let tensors = g
            .tables(0)?
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // Tensor: shape, type, buffer, name, ...
                Ok(Tensor {
                    shape: t.i32s(0)?,
                    dtype: t.i8(1, 0)?,
                    buffer: t.u32(2, 0)?,
                    name: t.string(3)?.unwrap_or_else(|| format!("tensor_{i}")),
                })
            })
            .collect::<Result<Vec<_>, TfliteError>>()?;
        let operators = g
            .tables(3)?
            .iter()
            .map(|o| {
                // Operator: opcode_index, inputs, outputs, builtin_options_type,
                // builtin_options (the union takes slots 3 and 4), custom_options.
                Ok(Operator {
                    opcode_index: o.u32(0, 0)?,
                    inputs: o.i32s(1)?,
                    outputs: o.i32s(2)?,
                    options_type: o.u8(3, 0)?,
                    options: o.table(4)?,
                    custom_options: o.bytes(5)?,
                })
            })
            .collect::<Result<Vec<_>, TfliteError>>()?;
        Ok(Model {
            version,
            opcodes,
            inputs: g.i32s(1)?,
            outputs: g.i32s(2)?,
            tensors,
            operators,
            buffers,
        })
    }
}

/// BuiltinOperator names (schema.fbs order), for error messages.
const OP_NAMES: &str = "ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D \
DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP \
L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM \
MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX \
SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE \
PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN \
SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP \
TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX \
MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV \
SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN \
FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK \
REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE \
RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL \
REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE \
MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 \
SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL";

/// Human-readable operator name: builtin name, custom code, or the number.
pub fn op_name(code: &OpCode) -> String {
    if let Some(c) = code.custom.as_deref().filter(|_| code.builtin == 32) {
        return format!("CUSTOM({c})");
    }
    usize::try_from(code.builtin)
        .ok()
        .and_then(|i| OP_NAMES.split_whitespace().nth(i))
        .map(str::to_string)
        .unwrap_or_else(|| format!("BUILTIN_{}", code.builtin))
}
