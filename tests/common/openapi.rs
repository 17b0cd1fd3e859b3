//! Checks answers against the OpenAPI document the server publishes: every status an endpoint
//! answers must be documented, and every JSON body must match its documented schema.

use serde_json::{json, Value};

pub struct Contract {
    doc: Value,
}

impl Contract {
    pub fn load() -> Contract {
        let text = std::fs::read_to_string(super::root().join("assets/openapi.json"))
            .expect("assets/openapi.json");
        Contract {
            doc: serde_json::from_str(&text).expect("openapi.json is JSON"),
        }
    }

    /// The documented path template that `path` (without its query) matches.
    fn template(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let parts: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()?
            .keys()
            .find(|t| {
                let tparts: Vec<&str> = t.split('/').collect();
                tparts.len() == parts.len()
                    && tparts
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
            })
            .cloned()
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v["$ref"].as_str() {
            Some(r) => {
                let pointer = r.trim_start_matches('#');
                self.doc
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {r}"))
            }
            None => v,
        }
    }

    /// Panics unless `status` is documented for `method path` and `body` (when JSON is
    /// documented) matches the schema.
    pub fn check(&self, method: &str, path: &str, status: u16, body: &Value) {
        let Some(template) = self.template(path) else {
            assert_eq!(status, 404, "{path} is not in the OpenAPI document");
            return;
        };
        let op = &self.doc["paths"][&template][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let response = op["responses"]
            .get(status.to_string())
            .map(|r| self.resolve(r))
            .unwrap_or_else(|| panic!("{method} {template} answered {status}, undocumented"));
        let Some(schema) = response["content"]["application/json"].get("schema") else {
            return;
        };
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("schema of {method} {template} {status}: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: the body does not match the document:\n{}\n{body:#}",
            errors.join("\n")
        );
    }
}
