//! A template as JSON, its numbers as written.
//!
//! Template numbers are `f32`; serde_json widens them to `f64`, so `0.8` would print as
//! `0.800000011920929`. Each number that is exactly an `f32` prints as that `f32`'s shortest
//! decimal instead, which is what the template file said.

use serde_json::Value;

use super::Template;

/// The template as the API shows it.
pub fn to_json(t: &Template) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(t)?;
    shorten_numbers(&mut v);
    Ok(v)
}

fn shorten_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let Some(x) = n.as_f64() else { return };
            let single = x as f32;
            if f64::from(single) == x {
                // `Display` for f32 prints the shortest decimal that reads back as the same f32.
                if let Some(short) = single
                    .to_string()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                {
                    *n = short;
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(shorten_numbers),
        Value::Object(fields) => fields.values_mut().for_each(shorten_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_numbers_print_as_written() {
        let mut v = serde_json::json!({
            "a": f64::from(0.8f32),
            "b": [f64::from(0.35f32), 1.0, 7],
            "c": { "d": f64::from(-0.15f32) },
            "e": 0.1,
        });
        shorten_numbers(&mut v);
        assert_eq!(
            v.to_string(),
            r#"{"a":0.8,"b":[0.35,1.0,7],"c":{"d":-0.15},"e":0.1}"#
        );
    }

    #[test]
    fn shipped_templates_print_no_widened_floats() {
        let templates = crate::template::Templates::load_bundled().expect("shipped templates");
        for t in templates.list() {
            let text = to_json(t).unwrap().to_string();
            assert!(
                !text.contains("0000000") && !text.contains("9999999"),
                "{}: {text}",
                t.id
            );
        }
    }
}
