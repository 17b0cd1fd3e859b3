//! The operators a segmentation decoder adds: hard-swish, bilinear upsampling and MediaPipe's
//! transposed convolution (a custom operator, `Convolution2DTransposeBias`).

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::AttributeProto;

use super::{attr_ints, bad, permute, Data, Graph, Layout};
use crate::model::tflite::flatbuf::Operator;
use crate::model::tflite::TfliteError;

/// The ResizeBilinearOptions union tag.
const O_RESIZE_BILINEAR: u8 = 15;

fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Float as i32,
        f: v,
        ..Default::default()
    }
}

fn attr_string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: v.as_bytes().to_vec(),
        ..Default::default()
    }
}

impl Graph<'_, '_, '_> {
    /// x · relu6(x + 3) / 6, as x · HardSigmoid(x) with alpha 1/6, beta 1/2.
    pub(super) fn hard_swish(&mut self, x: i32, out: i32) -> Result<(), TfliteError> {
        let layout = self.preferred(x)?;
        let rank = self.rank(x)?;
        let xs = self.get(x, layout)?;
        let hint = self.name(out)?;
        let gate = self.node(
            "HardSigmoid",
            vec![xs.clone()],
            vec![attr_float("alpha", 1.0 / 6.0), attr_float("beta", 0.5)],
            &hint,
        );
        let y = self.node("Mul", vec![xs, gate], vec![], &hint);
        self.set(out, y, layout, rank)
    }

    /// RESIZE_BILINEAR to the output's declared size.
    pub(super) fn resize_bilinear(&mut self, op: &Operator) -> Result<(), TfliteError> {
        let (x, out) = (op.inputs[0], op.outputs[0]);
        let o = self.options(op, O_RESIZE_BILINEAR)?;
        let align_corners = o.map_or(Ok(0), |t| t.u8(2, 0))? != 0;
        let half_pixel = o.map_or(Ok(0), |t| t.u8(3, 0))? != 0;
        let mode = match (align_corners, half_pixel) {
            (true, _) => "align_corners",
            (false, true) => "half_pixel",
            (false, false) => "asymmetric",
        };
        let [ih, iw] = self.spatial(x)?;
        let target = self.shape(out)?;
        let &[_, oh, ow, _] = target.as_slice() else {
            return Err(bad(format!("{}: output must be 4-D NHWC", self.op)));
        };
        if oh == 0 || ow == 0 {
            return Err(self.unsup("empty output"));
        }
        let xs = self.get(x, Layout::Nchw)?;
        let roi = self.init(&[0], Data::F(Vec::new()))?;
        let scales = self.init(
            &[4],
            Data::F(vec![1.0, 1.0, oh as f32 / ih as f32, ow as f32 / iw as f32]),
        )?;
        let attrs = vec![
            attr_string("mode", "linear"),
            attr_string("coordinate_transformation_mode", mode),
        ];
        let hint = self.name(out)?;
        let y = self.node("Resize", vec![xs, roi, scales], attrs, &hint);
        self.set(out, y, Layout::Nchw, 4)
    }

    /// MediaPipe's `Convolution2DTransposeBias`: a transposed convolution with bias, its
    /// options a packed {padding, stride_w, stride_h} of little-endian i32s.
    pub(super) fn transpose_conv_bias(&mut self, op: &Operator) -> Result<(), TfliteError> {
        let (x, w, b, out) = (op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]);
        let words: Vec<i32> = op
            .custom_options
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let &[padding, stride_w, stride_h] = words.as_slice() else {
            return Err(bad(format!(
                "{}: {} bytes of options, expected 12",
                self.op,
                op.custom_options.len()
            )));
        };
        let stride = |v: i32| usize::try_from(v).ok().filter(|&v| v > 0);
        let (Some(sh), Some(sw)) = (stride(stride_h), stride(stride_w)) else {
            return Err(bad(format!("{}: strides must be positive", self.op)));
        };
        let filt = self.floats(w, "filter")?;
        let &[fo, kh, kw, fi] = filt.shape.as_slice() else {
            return Err(bad(format!("filter of {} must be 4-D", self.op)));
        };
        self.spatial(x)?;
        let cin = self.shape(x)?[3];
        if fi != cin || fo == 0 || kh == 0 || kw == 0 {
            return Err(bad(format!(
                "{}: filter {:?} does not fit {cin} input channels",
                self.op, filt.shape
            )));
        }
        // TFLite's SAME pads the output by what the kernel overhangs the stride; VALID keeps
        // it all. ONNX crops `pads` off the full result.
        let crop = |k: usize, s: usize| match padding {
            1 => Ok(k.saturating_sub(s)),
            2 => Ok(0),
            p => Err(bad(format!("{}: unknown padding mode {p}", self.op))),
        };
        let (th, tw) = (crop(kh, sh)?, crop(kw, sw)?);
        let Data::F(fdata) = &filt.data else {
            return Err(bad("filter is not float"));
        };
        // [O, KH, KW, I] → [I, O, KH, KW].
        let (wshape, wdata) = permute(fdata, &filt.shape, &[3, 0, 1, 2]);
        let bias = self.floats(b, "bias")?;
        let Data::F(bd) = &bias.data else {
            return Err(bad("bias is not float"));
        };
        if bd.len() != fo {
            return Err(bad(format!(
                "{}: bias has {} values for {fo} channels",
                self.op,
                bd.len()
            )));
        }
        let bd = bd.clone();
        let xs = self.get(x, Layout::Nchw)?;
        let inputs = vec![
            xs,
            self.init(&wshape, Data::F(wdata))?,
            self.init(&[fo], Data::F(bd))?,
        ];
        let pads = [th / 2, tw / 2, th - th / 2, tw - tw / 2].map(|v| v as i64);
        let attrs = vec![
            attr_ints("kernel_shape", &[kh as i64, kw as i64]),
            attr_ints("strides", &[sh as i64, sw as i64]),
            attr_ints("pads", &pads),
        ];
        let hint = self.name(out)?;
        let y = self.node("ConvTranspose", inputs, attrs, &hint);
        self.set(out, y, Layout::Nchw, 4)
    }
}
