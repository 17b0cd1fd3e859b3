//! The TFLite flatbuffer reader and converter (`reelforge model import`) on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = reelforge::model::tflite::to_onnx(data);
});
