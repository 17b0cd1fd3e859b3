//! Builds the ONNX graph from the parsed TFLite subgraph.
//!
//! Every runtime tensor is tracked under the layouts it is currently
//! available in (TFLite's own NHWC, and/or NCHW for 4-D tensors), so each
//! transpose is emitted at most once per tensor and only where needed.

use crate::model::tflite::flatbuf::{Model, Operator, Reader, Table};
use crate::model::tflite::TfliteError;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// Prefix of every value name we invent, so none can clash with TFLite names.
const PREFIX: &str = "tfl2onnx:";
const TO_NCHW: [usize; 4] = [0, 3, 1, 2];
const TO_NHWC: [usize; 4] = [0, 2, 3, 1];
/// Where an NHWC axis lands in NCHW.
const AXIS_IN_NCHW: [usize; 4] = [0, 2, 3, 1];

// TFLite TensorType codes.
const T_F32: i8 = 0;
const T_F16: i8 = 1;
const T_I32: i8 = 2;
const T_I64: i8 = 4;

// BuiltinOptions union tags for the options tables we read.
const O_CONV: u8 = 1;
const O_DWCONV: u8 = 2;
const O_POOL: u8 = 5;
const O_CONCAT: u8 = 10;
const O_ADD: u8 = 11;
const O_RESHAPE: u8 = 17;
const O_MUL: u8 = 21;
const O_SUB: u8 = 28;

fn bad(what: impl Into<String>) -> TfliteError {
    TfliteError::Malformed { what: what.into() }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Nhwc,
    Nchw,
}

/// A runtime tensor, available under one or both layouts.
#[derive(Clone)]
struct Value {
    rank: usize,
    nhwc: Option<String>,
    nchw: Option<String>,
}

enum Data {
    F(Vec<f32>),
    I(Vec<i64>),
}

/// A constant tensor, decoded (float16 widened to float32).
struct Const {
    shape: Vec<usize>,
    data: Data,
}

fn numel(shape: &[usize]) -> Result<usize, TfliteError> {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad("tensor size overflows"))
}

/// Permutes a dense row-major tensor.
fn permute<T: Copy>(data: &[T], shape: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<T>) {
    let rank = shape.len();
    let mut strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut out = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; rank];
    for _ in 0..data.len() {
        let src: usize = (0..rank).map(|d| idx[d] * strides[perm[d]]).sum();
        out.push(data[src]);
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    (out_shape, out)
}

fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

fn value_info(name: &str, shape: &[usize]) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|&d| Dimension {
            value: Some(dimension::Value::DimValue(d as i64)),
            ..Default::default()
        })
        .collect();
    let tensor = type_proto::Tensor {
        elem_type: DataType::Float as i32,
        shape: Some(TensorShapeProto { dim }),
    };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn convert(bytes: &[u8]) -> Result<ModelProto, TfliteError> {
    let reader = Reader::new(bytes);
    let model = Model::parse(&reader)?;
    if model.version != 3 {
        return Err(TfliteError::Unsupported {
            op: "model".into(),
            what: format!("schema version {}", model.version),
        });
    }
    let n = model.tensors.len();
    let mut g = Graph {
        m: &model,
        op: String::new(),
        nodes: Vec::new(),
        iface: HashMap::new(),
        inits: Vec::new(),
        vals: vec![None; n],
        consts: (0..n).map(|_| None).collect(),
        next: 0,
        budget: bytes.len().saturating_mul(4).saturating_add(1 << 20),
    };
    let inputs = g.inputs()?;
    for op in &model.operators {
        g.operator(op)?;
    }
    let outputs = g.outputs()?;
    let graph = GraphProto {
        name: "tflite".into(),
        node: g.nodes,
        initializer: g.inits,
        input: inputs,
        output: outputs,
        ..Default::default()
    };
    Ok(ModelProto {
        ir_version: 7,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "tflite2onnx".into(),
        graph: Some(graph),
        ..Default::default()
    })
}

struct Graph<'m, 'r, 'a> {
    m: &'m Model<'r, 'a>,
    /// Current operator, for error messages.
    op: String,
    nodes: Vec<NodeProto>,
    /// Graph input names → tensor index.
    iface: HashMap<String, i32>,
    inits: Vec<TensorProto>,
    vals: Vec<Option<Value>>,
    consts: Vec<Option<Rc<Const>>>,
    next: usize,
    /// Constant elements we may still materialise (aliased buffers could
    /// otherwise multiply memory use).
    budget: usize,
}

impl Graph<'_, '_, '_> {
    fn unsup(&self, what: impl Into<String>) -> TfliteError {
        TfliteError::Unsupported {
            op: self.op.clone(),
            what: what.into(),
        }
    }

    fn index(&self, idx: i32) -> Result<usize, TfliteError> {
        usize::try_from(idx)
            .ok()
            .filter(|&i| i < self.m.tensors.len())
            .ok_or_else(|| bad(format!("{}: tensor index {idx} out of range", self.op)))
    }

    fn name(&self, idx: i32) -> Result<String, TfliteError> {
        Ok(self.m.tensors[self.index(idx)?].name.clone())
    }

    fn shape(&self, idx: i32) -> Result<Vec<usize>, TfliteError> {
        let t = &self.m.tensors[self.index(idx)?];
        t.shape
            .iter()
            .map(|&d| {
                usize::try_from(d)
                    .map_err(|_| self.unsup(format!("dynamic dimension in '{}'", t.name)))
            })
            .collect()
    }

    fn spend(&mut self, n: usize) -> Result<(), TfliteError> {
        self.budget = self
            .budget
            .checked_sub(n)
            .ok_or_else(|| bad("constant data exceeds file size budget"))?;
        Ok(())
    }

    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{PREFIX}{hint}#{}", self.next)
    }

    fn node(
        &mut self,
        op_type: &str,
        input: Vec<String>,
        attribute: Vec<AttributeProto>,
        hint: &str,
    ) -> String {
        let out = self.fresh(hint);
        self.nodes.push(NodeProto {
            input,
            output: vec![out.clone()],
            name: out.clone(),
            op_type: op_type.into(),
            attribute,
            ..Default::default()
        });
        out
    }

    fn init(&mut self, shape: &[usize], data: Data) -> Result<String, TfliteError> {
        let name = self.fresh("const");
        let mut t = TensorProto {
            dims: shape.iter().map(|&d| d as i64).collect(),
            name: name.clone(),
            ..Default::default()
        };
        match data {
            Data::F(v) => {
                self.spend(v.len())?;
                t.data_type = DataType::Float as i32;
                t.float_data = v;
            }
            Data::I(v) => {
                self.spend(v.len())?;
                t.data_type = DataType::Int64 as i32;
                t.int64_data = v;
            }
        }
        self.inits.push(t);
        Ok(name)
    }

    fn scalar(&mut self, v: f32) -> Result<String, TfliteError> {
        self.init(&[], Data::F(vec![v]))
    }

    /// The tensor's constant value, if it has one (decoded once, then cached).
    fn constant(&mut self, idx: i32) -> Result<Option<Rc<Const>>, TfliteError> {
        let i = self.index(idx)?;
        if let Some(c) = &self.consts[i] {
            return Ok(Some(c.clone()));
        }
        let t = &self.m.tensors[i];
        let buf = *self.m.buffers.get(t.buffer as usize).ok_or_else(|| {
            bad(format!(
                "tensor '{}' refers to missing buffer {}",
                t.name, t.buffer
            ))
        })?;
        if buf.is_empty() {
            return Ok(None);
        }
        let shape = self.shape(idx)?;
        let n = numel(&shape)?;
        let size = match t.dtype {
            T_F32 | T_I32 => 4,
            T_F16 => 2,
            T_I64 => 8,
            d => {
                return Err(TfliteError::UnsupportedType {
                    tensor: t.name.clone(),
                    dtype: d,
                })
            }
        };
        if n.checked_mul(size) != Some(buf.len()) {
            return Err(bad(format!(
                "tensor '{}': buffer has {} bytes for shape {:?}",
                t.name,
                buf.len(),
                shape
            )));
        }
        self.spend(n)?;
        let data = match t.dtype {
            T_F32 => Data::F(
                buf.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            T_F16 => Data::F(
                buf.chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
            ),
            T_I32 => Data::I(
                buf.chunks_exact(4)
                    .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64)
                    .collect(),
            ),
            _ => {
                let mut a = [0u8; 8];
                Data::I(
                    buf.chunks_exact(8)
                        .map(|b| {
                            a.copy_from_slice(b);
                            i64::from_le_bytes(a)
                        })
                        .collect(),
                )
            }
        };
        let c = Rc::new(Const { shape, data });
        self.consts[i] = Some(c.clone());
        Ok(Some(c))
    }

    fn floats(&mut self, idx: i32, what: &str) -> Result<Rc<Const>, TfliteError> {
        match self.constant(idx)? {
            Some(c) if matches!(c.data, Data::F(_)) && self.vals[self.index(idx)?].is_none() => {
                Ok(c)
            }
            _ => Err(self.unsup(format!(
                "{what} '{}' must be a float constant",
                self.name(idx)?
            ))),
        }
    }

    fn ints(&mut self, idx: i32, what: &str) -> Result<Vec<i64>, TfliteError> {
        match self.constant(idx)?.as_deref() {
            Some(Const {
                data: Data::I(v), ..
            }) => Ok(v.clone()),
            _ => Err(self.unsup(format!(
                "{what} '{}' must be an integer constant",
                self.name(idx)?
            ))),
        }
    }

    /// A constant as an initializer, broadcast-aligned to rank 4 and
    /// permuted when it meets an NCHW operand.
    fn const_in(&mut self, c: &Const, layout: Layout) -> Result<String, TfliteError> {
        let Data::F(v) = &c.data else {
            return Err(self.unsup("integer constant used as activation"));
        };
        if layout == Layout::Nhwc {
            return self.init(&c.shape, Data::F(v.clone()));
        }
        if c.shape.len() > 4 {
            return Err(self.unsup("constant of rank > 4 broadcast against a 4-D tensor"));
        }
        let mut shape = vec![1usize; 4 - c.shape.len()];
        shape.extend_from_slice(&c.shape);
        self.spend(v.len())?;
        let (shape, data) = permute(v, &shape, &TO_NCHW);
        self.init(&shape, Data::F(data))
    }

    fn is_runtime(&self, idx: i32) -> Result<bool, TfliteError> {
        Ok(self.vals[self.index(idx)?].is_some())
    }

    /// Rank of an operand: tracked for runtime values, declared otherwise.
    fn rank(&self, idx: i32) -> Result<usize, TfliteError> {
        match &self.vals[self.index(idx)?] {
            Some(v) => Ok(v.rank),
            None => Ok(self.m.tensors[self.index(idx)?].shape.len()),
        }
    }

    /// NCHW if the operand already lives there, else NHWC.
    fn preferred(&self, idx: i32) -> Result<Layout, TfliteError> {
        Ok(match &self.vals[self.index(idx)?] {
            Some(Value { nchw: Some(_), .. }) => Layout::Nchw,
            _ => Layout::Nhwc,
        })
    }

    /// The ONNX name of an operand in the wanted layout, transposing (once) if needed.
    fn get(&mut self, idx: i32, want: Layout) -> Result<String, TfliteError> {
        let i = self.index(idx)?;
        let Some(v) = self.vals[i].clone() else {
            return match self.constant(idx)? {
                Some(c) => self.const_in(&c, want),
                None => Err(bad(format!(
                    "{}: tensor '{}' is read before being written",
                    self.op,
                    self.name(idx)?
                ))),
            };
        };
        let (have, other, perm) = match want {
            Layout::Nhwc => (v.nhwc, v.nchw, TO_NHWC),
            Layout::Nchw => (v.nchw, v.nhwc, TO_NCHW),
        };
        if let Some(n) = have {
            return Ok(n);
        }
        if v.rank != 4 {
            return Err(self.unsup(format!(
                "tensor '{}' of rank {} needed as NCHW",
                self.name(idx)?,
                v.rank
            )));
        }
        let src = other.ok_or_else(|| bad("value without any layout"))?;
        let perm: Vec<i64> = perm.iter().map(|&p| p as i64).collect();
        let hint = self.name(idx)?;
        let out = self.node(
            "Transpose",
            vec![src],
            vec![attr_ints("perm", &perm)],
            &hint,
        );
        if let Some(val) = self.vals[i].as_mut() {
            match want {
                Layout::Nhwc => val.nhwc = Some(out.clone()),
                Layout::Nchw => val.nchw = Some(out.clone()),
            }
        }
        Ok(out)
    }

    /// Records the ONNX value computing TFLite tensor `idx`.
    fn set(
        &mut self,
        idx: i32,
        name: String,
        layout: Layout,
        rank: usize,
    ) -> Result<(), TfliteError> {
        let i = self.index(idx)?;
        let t = &self.m.tensors[i];
        if t.dtype != T_F32 {
            return Err(TfliteError::UnsupportedType {
                tensor: t.name.clone(),
                dtype: t.dtype,
            });
        }
        if self.vals[i].is_some() {
            return Err(bad(format!("tensor '{}' is written twice", t.name)));
        }
        let (nhwc, nchw) = match layout {
            Layout::Nhwc => (Some(name), None),
            Layout::Nchw => (None, Some(name)),
        };
        self.vals[i] = Some(Value { rank, nhwc, nchw });
        Ok(())
    }

    fn inputs(&mut self) -> Result<Vec<ValueInfoProto>, TfliteError> {
        self.op = "graph inputs".into();
        let mut infos = Vec::new();
        for &idx in &self.m.inputs {
            let name = self.name(idx)?;
            if name.is_empty()
                || name.starts_with(PREFIX)
                || self.iface.insert(name.clone(), idx).is_some()
            {
                return Err(bad(format!("unusable input tensor name '{name}'")));
            }
            let shape = self.shape(idx)?;
            self.set(idx, name.clone(), Layout::Nhwc, shape.len())?;
            infos.push(value_info(&name, &shape));
        }
        Ok(infos)
    }

    fn outputs(&mut self) -> Result<Vec<ValueInfoProto>, TfliteError> {
        self.op = "graph outputs".into();
        let mut infos = Vec::new();
        let mut seen = HashSet::new();
        for &idx in &self.m.outputs {
            let name = self.name(idx)?;
            // An output may be an input tensor itself, but not share its name otherwise.
            let clash = self.iface.get(&name).is_some_and(|&i| i != idx);
            if name.is_empty() || name.starts_with(PREFIX) || clash || !seen.insert(name.clone()) {
                return Err(bad(format!("unusable output tensor name '{name}'")));
            }
            if !self.is_runtime(idx)? {
                return Err(self.unsup(format!("output '{name}' is not computed by any operator")));
            }
            let src = self.get(idx, Layout::Nhwc)?;
            if src != name {
                self.nodes.push(NodeProto {
                    input: vec![src],
                    output: vec![name.clone()],
                    name: format!("{PREFIX}output:{name}"),
                    op_type: "Identity".into(),
                    ..Default::default()
                });
            }
            infos.push(value_info(&name, &self.shape(idx)?));
        }
        Ok(infos)
    }

    /// Options table, after checking its union tag (absent table = defaults).
    fn options<'t, 'd>(
        &self,
        op: &Operator<'t, 'd>,
        tag: u8,
    ) -> Result<Option<Table<'t, 'd>>, TfliteError> {
        match op.options {
            None => Ok(None),
            Some(t) if op.options_type == tag => Ok(Some(t)),
            Some(_) => Err(bad(format!(
                "{}: options of type {} where {tag} expected",
                self.op, op.options_type
            ))),
        }
    }
}

mod ops;
mod upsample;
