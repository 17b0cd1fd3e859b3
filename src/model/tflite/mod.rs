//! TFLite (flatbuffer) → ONNX (`tract_onnx::pb::ModelProto`) converter for
//! small float CNNs such as MediaPipe BlazeFace and FaceMesh.
//!
//! The ONNX graph keeps the TFLite interface: same input/output names, NHWC
//! input, outputs shaped as in TFLite. Internally 4-D activations run in NCHW
//! (what ONNX Conv/MaxPool expect) and are transposed back only where the
//! layout is observable (Reshape, graph outputs, ops mixing ranks).

mod convert;
mod flatbuf;

/// Errors from [`to_onnx`]. A model file is untrusted input: anything
/// inconsistent is reported as `Malformed` rather than panicking.
#[derive(Debug, thiserror::Error)]
pub enum TfliteError {
    #[error("malformed TFLite model: {what}")]
    Malformed { what: String },
    #[error("unsupported TFLite operator {name}")]
    UnsupportedOp { name: String },
    #[error("tensor '{tensor}' has unsupported TFLite type {dtype}")]
    UnsupportedType { tensor: String, dtype: i8 },
    #[error("unsupported TFLite feature in {op}: {what}")]
    Unsupported { op: String, what: String },
}

/// Converts a TFLite flatbuffer into an ONNX model (opset 13).
pub fn to_onnx(tflite: &[u8]) -> Result<tract_onnx::pb::ModelProto, TfliteError> {
    convert::convert(tflite)
}
