//! The HTTP create request's parser on any JSON: a request or a field error, never a panic;
//! an accepted request survives its own round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reelforge::job::CreateRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(request) = CreateRequest::from_json(&value, None) {
        let again = CreateRequest::from_json(&request.to_json(), None)
            .expect("a request's own JSON parses");
        assert_eq!(again.to_json(), request.to_json());
    }
});
