//! Per-operator lowering. TFLite semantics are NHWC; conv/pool run in NCHW.

use super::{
    attr_int, attr_ints, bad, permute, Data, Graph, Layout, AXIS_IN_NCHW, O_ADD, O_CONCAT, O_CONV,
    O_DWCONV, O_MUL, O_POOL, O_RESHAPE, O_SUB, TO_NCHW, T_F32,
};
use crate::model::tflite::flatbuf::{op_name, Operator, Table};
use crate::model::tflite::TfliteError;

fn opt_i32(t: Option<Table>, slot: usize, default: i32) -> Result<i32, TfliteError> {
    t.map_or(Ok(default), |t| t.i32(slot, default))
}

fn opt_u8(t: Option<Table>, slot: usize) -> Result<u8, TfliteError> {
    t.map_or(Ok(0), |t| t.u8(slot, 0))
}

fn positive(v: i32, what: &str) -> Result<usize, TfliteError> {
    usize::try_from(v)
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| bad(format!("{what} must be positive, got {v}")))
}

/// ONNX `pads` [top, left, bottom, right]. TFLite SAME puts the odd extra
/// pixel at the end (like SAME_UPPER); spelled out so no runtime guesses.
fn pads(
    padding: u8,
    input: [usize; 2],
    k: [usize; 2],
    s: [usize; 2],
    d: [usize; 2],
) -> Result<Vec<i64>, TfliteError> {
    match padding {
        1 => Ok(vec![0; 4]),
        0 => {
            let mut p = [0i64; 4];
            for a in 0..2 {
                let ovf = || bad("padding computation overflows");
                let eff = (k[a] - 1)
                    .checked_mul(d[a])
                    .and_then(|v| v.checked_add(1))
                    .ok_or_else(ovf)?;
                let out = input[a].div_ceil(s[a]);
                let need = (out.saturating_sub(1))
                    .checked_mul(s[a])
                    .and_then(|v| v.checked_add(eff))
                    .ok_or_else(ovf)?;
                let total = need.saturating_sub(input[a]);
                let total = i64::try_from(total).map_err(|_| ovf())?;
                p[a] = total / 2;
                p[a + 2] = total - total / 2;
            }
            Ok(p.to_vec())
        }
        other => Err(bad(format!("unknown padding mode {other}"))),
    }
}

fn to_i64(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&x| x as i64).collect()
}

impl Graph<'_, '_, '_> {
    pub(super) fn operator(&mut self, op: &Operator) -> Result<(), TfliteError> {
        let code = self
            .m
            .opcodes
            .get(op.opcode_index as usize)
            .ok_or_else(|| bad(format!("opcode index {} out of range", op.opcode_index)))?;
        self.op = op_name(code);
        let arity = |n_in: usize, n_out: usize| -> Result<(), TfliteError> {
            if op.inputs.len() < n_in || op.outputs.len() != n_out {
                return Err(bad(format!(
                    "{}: expected {n_in} inputs and {n_out} outputs",
                    op_name(code)
                )));
            }
            Ok(())
        };
        let out = op.outputs.first().copied().unwrap_or(-1);
        match code.builtin {
            3 | 4 => {
                arity(2, 1)?;
                self.conv(op, code.builtin == 4)
            }
            1 | 17 => {
                arity(1, 1)?;
                self.pool(
                    op,
                    if code.builtin == 17 {
                        "MaxPool"
                    } else {
                        "AveragePool"
                    },
                )
            }
            0 | 18 | 41 => {
                arity(2, 1)?;
                let (onnx, tag) = match code.builtin {
                    0 => ("Add", O_ADD),
                    18 => ("Mul", O_MUL),
                    _ => ("Sub", O_SUB),
                };
                let act = self.options(op, tag)?.map_or(Ok(0), |t| t.u8(0, 0))?;
                self.binary(op.inputs[0], op.inputs[1], out, onnx, act)
            }
            19 | 20 | 21 | 14 | 28 => {
                arity(1, 1)?;
                let x = op.inputs[0];
                let layout = self.preferred(x)?;
                let (rank, xs) = (self.rank(x)?, self.get(x, layout)?);
                let hint = self.name(out)?;
                let y = match code.builtin {
                    19 => self.activation(xs, 1, &hint)?,
                    20 => self.activation(xs, 2, &hint)?,
                    21 => self.activation(xs, 3, &hint)?,
                    14 => self.node("Sigmoid", vec![xs], vec![], &hint),
                    _ => self.node("Tanh", vec![xs], vec![], &hint),
                };
                self.set(out, y, layout, rank)
            }
            54 => {
                arity(2, 1)?;
                self.prelu(op.inputs[0], op.inputs[1], out)
            }
            34 | 60 => {
                arity(2, 1)?;
                self.pad(op)
            }
            22 => {
                arity(1, 1)?;
                self.reshape(op)
            }
            2 => {
                arity(1, 1)?;
                self.concat(op)
            }
            6 => {
                arity(1, 1)?;
                self.dequantize(op.inputs[0], out)
            }
            117 => {
                arity(1, 1)?;
                self.hard_swish(op.inputs[0], out)
            }
            23 => {
                arity(2, 1)?;
                self.resize_bilinear(op)
            }
            32 if code.custom.as_deref() == Some("Convolution2DTransposeBias") => {
                arity(3, 1)?;
                self.transpose_conv_bias(op)
            }
            _ => Err(TfliteError::UnsupportedOp {
                name: self.op.clone(),
            }),
        }
    }

    fn activation(&mut self, x: String, act: u8, hint: &str) -> Result<String, TfliteError> {
        let (lo, hi) = match act {
            0 => return Ok(x),
            1 => return Ok(self.node("Relu", vec![x], vec![], hint)),
            2 => (-1.0, 1.0),
            3 => (0.0, 6.0),
            4 => return Ok(self.node("Tanh", vec![x], vec![], hint)),
            a => return Err(self.unsup(format!("fused activation {a}"))),
        };
        let (lo, hi) = (self.scalar(lo)?, self.scalar(hi)?);
        Ok(self.node("Clip", vec![x, lo, hi], vec![], hint))
    }

    /// Spatial input dims [H, W] of a 4-D NHWC operand.
    pub(super) fn spatial(&self, x: i32) -> Result<[usize; 2], TfliteError> {
        let s = self.shape(x)?;
        if s.len() != 4 || s[1] == 0 || s[2] == 0 {
            return Err(self.unsup(format!(
                "input '{}' must be non-empty 4-D NHWC, got {s:?}",
                self.name(x)?
            )));
        }
        Ok([s[1], s[2]])
    }

    pub(super) fn conv(&mut self, op: &Operator, depthwise: bool) -> Result<(), TfliteError> {
        let (x, w, out) = (op.inputs[0], op.inputs[1], op.outputs[0]);
        let o = self.options(op, if depthwise { O_DWCONV } else { O_CONV })?;
        // Conv2DOptions: padding, stride_w, stride_h, act, dil_w, dil_h;
        // DepthwiseConv2DOptions has depth_multiplier before act.
        let base = if depthwise { 4 } else { 3 };
        let padding = opt_u8(o, 0)?;
        let s = [
            positive(opt_i32(o, 2, 0)?, "stride_h")?,
            positive(opt_i32(o, 1, 0)?, "stride_w")?,
        ];
        let act = opt_u8(o, base)?;
        let d = [
            positive(opt_i32(o, base + 2, 1)?, "dilation_h")?,
            positive(opt_i32(o, base + 1, 1)?, "dilation_w")?,
        ];
        let hw = self.spatial(x)?;
        let cin = self.shape(x)?[3];
        let filt = self.floats(w, "filter")?;
        let &[fo, kh, kw, fi] = filt.shape.as_slice() else {
            return Err(bad(format!("filter of {} must be 4-D", self.op)));
        };
        if kh == 0 || kw == 0 || cin == 0 {
            return Err(bad(format!("{}: empty filter or input channels", self.op)));
        }
        let Data::F(fdata) = &filt.data else {
            return Err(bad("filter is not float"));
        };
        self.spend(fdata.len())?;
        let (wshape, wdata, group) = if depthwise {
            // [1, KH, KW, C*M] → [C*M, 1, KH, KW]; group = C keeps channel c*M+m on input c.
            if fo != 1 || fi % cin != 0 {
                return Err(bad(format!(
                    "depthwise filter {:?} does not fit {cin} input channels",
                    filt.shape
                )));
            }
            let (sh, data) = permute(fdata, &filt.shape, &[3, 0, 1, 2]);
            (sh, data, cin)
        } else {
            // [O, KH, KW, I] → [O, I, KH, KW]; I < C means grouped conv.
            if fi == 0 || cin % fi != 0 || fo % (cin / fi) != 0 {
                return Err(bad(format!(
                    "filter {:?} does not fit {cin} input channels",
                    filt.shape
                )));
            }
            let (sh, data) = permute(fdata, &filt.shape, &TO_NCHW);
            (sh, data, cin / fi)
        };
        let cout = wshape[0];
        let xs = self.get(x, Layout::Nchw)?;
        let mut inputs = vec![xs, self.init(&wshape, Data::F(wdata))?];
        if let Some(&b) = op.inputs.get(2).filter(|&&b| b >= 0) {
            let bias = self.floats(b, "bias")?;
            let Data::F(bd) = &bias.data else {
                return Err(bad("bias is not float"));
            };
            if bd.len() != cout {
                return Err(bad(format!(
                    "{}: bias has {} values for {cout} channels",
                    self.op,
                    bd.len()
                )));
            }
            inputs.push(self.init(&[cout], Data::F(bd.clone()))?);
        }
        let attrs = vec![
            attr_ints("kernel_shape", &to_i64(&[kh, kw])),
            attr_ints("strides", &to_i64(&s)),
            attr_ints("dilations", &to_i64(&d)),
            attr_ints("pads", &pads(padding, hw, [kh, kw], s, d)?),
            attr_int("group", group as i64),
        ];
        let hint = self.name(out)?;
        let y = self.node("Conv", inputs, attrs, &hint);
        let y = self.activation(y, act, &hint)?;
        self.set(out, y, Layout::Nchw, 4)
    }

    pub(super) fn pool(&mut self, op: &Operator, onnx: &str) -> Result<(), TfliteError> {
        let (x, out) = (op.inputs[0], op.outputs[0]);
        // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, act.
        let o = self.options(op, O_POOL)?;
        let s = [
            positive(opt_i32(o, 2, 0)?, "stride_h")?,
            positive(opt_i32(o, 1, 0)?, "stride_w")?,
        ];
        let k = [
            positive(opt_i32(o, 4, 0)?, "filter_height")?,
            positive(opt_i32(o, 3, 0)?, "filter_width")?,
        ];
        let p = pads(opt_u8(o, 0)?, self.spatial(x)?, k, s, [1, 1])?;
        let act = opt_u8(o, 5)?;
        let xs = self.get(x, Layout::Nchw)?;
        // ONNX MaxPool ignores padded cells and AveragePool defaults to
        // count_include_pad=0: both match TFLite.
        let attrs = vec![
            attr_ints("kernel_shape", &to_i64(&k)),
            attr_ints("strides", &to_i64(&s)),
            attr_ints("pads", &p),
        ];
        let hint = self.name(out)?;
        let y = self.node(onnx, vec![xs], attrs, &hint);
        let y = self.activation(y, act, &hint)?;
        self.set(out, y, Layout::Nchw, 4)
    }

    /// Elementwise binary op with NumPy broadcasting in TFLite (NHWC) terms.
    pub(super) fn binary(
        &mut self,
        a: i32,
        b: i32,
        out: i32,
        onnx: &str,
        act: u8,
    ) -> Result<(), TfliteError> {
        let rank = self.rank(a)?.max(self.rank(b)?);
        // NCHW only when every runtime operand is 4-D, so constants can be
        // realigned and no runtime broadcast changes meaning.
        let mut nchw = rank == 4;
        let mut any_nchw = false;
        for x in [a, b] {
            if self.is_runtime(x)? {
                nchw &= self.rank(x)? == 4;
                any_nchw |= self.preferred(x)? == Layout::Nchw;
            }
        }
        let layout = if nchw && any_nchw {
            Layout::Nchw
        } else {
            Layout::Nhwc
        };
        let (xa, xb) = (self.get(a, layout)?, self.get(b, layout)?);
        let hint = self.name(out)?;
        let y = self.node(onnx, vec![xa, xb], vec![], &hint);
        let y = self.activation(y, act, &hint)?;
        self.set(out, y, layout, rank)
    }

    pub(super) fn prelu(&mut self, x: i32, alpha: i32, out: i32) -> Result<(), TfliteError> {
        // A runtime alpha cannot be realigned cheaply: then stay in NHWC.
        let layout = if self.is_runtime(alpha)? {
            Layout::Nhwc
        } else {
            self.preferred(x)?
        };
        let rank = self.rank(x)?;
        let (xs, al) = (self.get(x, layout)?, self.get(alpha, layout)?);
        let hint = self.name(out)?;
        let y = self.node("PRelu", vec![xs, al], vec![], &hint);
        self.set(out, y, layout, rank)
    }

    pub(super) fn pad(&mut self, op: &Operator) -> Result<(), TfliteError> {
        let (x, out) = (op.inputs[0], op.outputs[0]);
        let rank = self.rank(x)?;
        let p = self.ints(op.inputs[1], "paddings")?;
        if p.len() != 2 * rank || p.iter().any(|&v| v < 0) {
            return Err(bad(format!("PAD: paddings {p:?} do not fit rank {rank}")));
        }
        let layout = if rank == 4 {
            self.preferred(x)?
        } else {
            Layout::Nhwc
        };
        // TFLite [rank, 2] (before, after) → ONNX [all befores, all afters].
        let axes: Vec<usize> = match layout {
            Layout::Nchw => TO_NCHW.to_vec(),
            Layout::Nhwc => (0..rank).collect(),
        };
        let onnx: Vec<i64> = axes
            .iter()
            .map(|&a| p[2 * a])
            .chain(axes.iter().map(|&a| p[2 * a + 1]))
            .collect();
        let xs = self.get(x, layout)?;
        let mut inputs = vec![xs, self.init(&[2 * rank], Data::I(onnx))?];
        // PADV2 carries the fill value as a scalar constant.
        if let Some(&c) = op.inputs.get(2).filter(|&&c| c >= 0) {
            let v = self.floats(c, "pad value")?;
            match &v.data {
                Data::F(v) if v.len() == 1 => inputs.push(self.scalar(v[0])?),
                _ => return Err(self.unsup("pad value must be a single float")),
            }
        }
        let hint = self.name(out)?;
        let y = self.node("Pad", inputs, vec![], &hint);
        self.set(out, y, layout, rank)
    }

    pub(super) fn reshape(&mut self, op: &Operator) -> Result<(), TfliteError> {
        let (x, out) = (op.inputs[0], op.outputs[0]);
        // The declared output shape is static and exact; fall back to the
        // shape operand / options only when it is missing or dynamic.
        let declared = self.m.tensors[self.index(out)?].shape.clone();
        let target: Vec<i64> = if !declared.is_empty() && declared.iter().all(|&d| d > 0) {
            declared.iter().map(|&d| d as i64).collect()
        } else if let Some(&s) = op.inputs.get(1).filter(|&&s| s >= 0) {
            self.ints(s, "shape")?
        } else {
            let o = self.options(op, O_RESHAPE)?;
            o.map_or(Ok(Vec::new()), |t| t.i32s(0))?
                .into_iter()
                .map(i64::from)
                .collect()
        };
        // ONNX reads 0 as "copy input dim"; TFLite would mean an empty axis.
        if target.iter().any(|&d| d == 0 || d < -1)
            || target.iter().filter(|&&d| d == -1).count() > 1
        {
            return Err(self.unsup(format!("reshape target {target:?}")));
        }
        let xs = self.get(x, Layout::Nhwc)?;
        let shape = self.init(&[target.len()], Data::I(target.clone()))?;
        let hint = self.name(out)?;
        let y = self.node("Reshape", vec![xs, shape], vec![], &hint);
        self.set(out, y, Layout::Nhwc, target.len())
    }

    pub(super) fn concat(&mut self, op: &Operator) -> Result<(), TfliteError> {
        let out = op.outputs[0];
        // ConcatenationOptions: axis, act.
        let o = self.options(op, O_CONCAT)?;
        let (axis, act) = (opt_i32(o, 0, 0)?, opt_u8(o, 1)?);
        let rank = self.rank(op.inputs[0])?;
        let mut all_nchw = rank == 4;
        for &x in &op.inputs {
            if self.rank(x)? != rank {
                return Err(bad("CONCATENATION: inputs differ in rank"));
            }
            if self.is_runtime(x)? {
                all_nchw &= self.preferred(x)? == Layout::Nchw;
            }
        }
        let a = if axis < 0 {
            axis as i64 + rank as i64
        } else {
            axis as i64
        };
        let a = usize::try_from(a)
            .ok()
            .filter(|&a| a < rank)
            .ok_or_else(|| bad(format!("concat axis {axis} for rank {rank}")))?;
        let layout = if all_nchw { Layout::Nchw } else { Layout::Nhwc };
        let onnx_axis = if all_nchw { AXIS_IN_NCHW[a] } else { a };
        let mut names = Vec::with_capacity(op.inputs.len());
        for &x in &op.inputs {
            names.push(self.get(x, layout)?);
        }
        let hint = self.name(out)?;
        let y = self.node(
            "Concat",
            names,
            vec![attr_int("axis", onnx_axis as i64)],
            &hint,
        );
        let y = self.activation(y, act, &hint)?;
        self.set(out, y, layout, rank)
    }

    /// float16/float32 constants fold into float32 constants; a float32
    /// runtime input is a no-op. Integer (quantized) inputs are refused.
    pub(super) fn dequantize(&mut self, x: i32, out: i32) -> Result<(), TfliteError> {
        let o = self.index(out)?;
        let t = &self.m.tensors[o];
        if t.dtype != T_F32 {
            return Err(TfliteError::UnsupportedType {
                tensor: t.name.clone(),
                dtype: t.dtype,
            });
        }
        if self.vals[o].is_some() || self.consts[o].is_some() {
            return Err(bad(format!("tensor '{}' is written twice", t.name)));
        }
        if let Some(v) = self.vals[self.index(x)?].clone() {
            self.vals[o] = Some(v);
            return Ok(());
        }
        match self.constant(x)? {
            Some(c) if matches!(c.data, Data::F(_)) => {
                self.consts[o] = Some(c);
                Ok(())
            }
            Some(_) => {
                let t = &self.m.tensors[self.index(x)?];
                Err(TfliteError::UnsupportedType {
                    tensor: t.name.clone(),
                    dtype: t.dtype,
                })
            }
            None => Err(bad(format!(
                "DEQUANTIZE reads '{}' before it is written",
                self.name(x)?
            ))),
        }
    }
}
