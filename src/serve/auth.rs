//! API keys: kept only as SHA-256 hashes, each mapped to the account it acts for.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("{source_name} line {line}: {message}")]
    Line {
        source_name: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Read { path: String, message: String },
}

/// Why a request is not authenticated (all answered 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Missing API key: send x-api-key or Authorization: Bearer")]
    Missing,
    #[error("Send exactly one of x-api-key or Authorization: Bearer, not both")]
    Both,
    /// The same credential header more than once: which one counts would be a guess.
    #[error("Send the API key once: one x-api-key or one Authorization header")]
    Repeated,
    #[error("Authorization must be \"Bearer <API key>\"")]
    NotBearer,
    #[error("Invalid API key")]
    Invalid,
}

/// The hex SHA-256 of a key, as stored.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.trim().as_bytes()))
}

/// A new random API key: "rf_" and 32 lowercase letters and digits.
pub fn new_key() -> String {
    format!("rf_{}", crate::job::random_token(32))
}

/// The keys a server accepts.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    /// Key hash → account id.
    accounts: HashMap<String, String>,
}

impl ApiKeys {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Adds a key by its hash.
    pub fn add_hash(&mut self, account_id: &str, hash: &str) {
        self.accounts
            .insert(hash.to_ascii_lowercase(), account_id.to_ascii_lowercase());
    }

    /// Reads a keys file: one `<account uuid> <sha256 hex of the key>` per line; blank lines
    /// and lines starting with # are skipped.
    pub fn add_file(&mut self, path: &Path) -> Result<(), KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        self.add_lines(&path.display().to_string(), &text)
    }

    fn add_lines(&mut self, source_name: &str, text: &str) -> Result<(), KeyError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: &str| KeyError::Line {
                source_name: source_name.to_string(),
                line: i + 1,
                message: message.to_string(),
            };
            let mut parts = line.split_whitespace();
            let (Some(account), Some(hash), None) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(err("expected \"<account uuid> <sha256 hex>\""));
            };
            check_account(account).map_err(|e| err(&e.to_string()))?;
            let hash = hash.strip_prefix("sha256:").unwrap_or(hash);
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err(
                    "the key hash must be 64 hex digits (reelforge api-key hash)",
                ));
            }
            self.add_hash(account, hash);
        }
        Ok(())
    }

    /// Adds plain keys given as `account=key,account=key` (hashed at once; the plain text is
    /// not kept).
    pub fn add_plain_list(&mut self, source_name: &str, list: &str) -> Result<(), KeyError> {
        for (i, pair) in list.split(',').map(str::trim).enumerate() {
            if pair.is_empty() {
                continue;
            }
            let err = |message: String| KeyError::Line {
                source_name: source_name.to_string(),
                line: i + 1,
                message,
            };
            let (account, key) = pair
                .split_once('=')
                .ok_or_else(|| err("expected account=key".into()))?;
            check_account(account.trim()).map_err(|e| err(e.to_string()))?;
            if key.trim().len() < 16 {
                return Err(err("API keys must be at least 16 characters".into()));
            }
            self.add_hash(account.trim(), &hash_key(key));
        }
        Ok(())
    }

    /// The account a request acts for, from its x-api-key and Authorization headers.
    pub fn authenticate(
        &self,
        x_api_key: Option<&str>,
        authorization: Option<&str>,
    ) -> Result<&str, AuthError> {
        let key = match (x_api_key, authorization) {
            (Some(_), Some(_)) => return Err(AuthError::Both),
            (None, None) => return Err(AuthError::Missing),
            (Some(k), None) => k,
            (None, Some(a)) => {
                let (scheme, token) = a.trim().split_once(' ').ok_or(AuthError::NotBearer)?;
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(AuthError::NotBearer);
                }
                token
            }
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(AuthError::Missing);
        }
        // Looked up by hash: timing can reveal nothing about a key that is not known.
        self.accounts
            .get(&hash_key(key))
            .map(String::as_str)
            .ok_or(AuthError::Invalid)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an account UUID")]
struct NotAnAccount(String);

fn check_account(account: &str) -> Result<(), NotAnAccount> {
    uuid::Uuid::parse_str(account)
        .map(|_| ())
        .map_err(|_| NotAnAccount(account.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    const KEY: &str = "rf_0123456789abcdef0123";

    fn keys() -> ApiKeys {
        let mut k = ApiKeys::default();
        k.add_lines(
            "keys",
            &format!("# team\n\n{ACCOUNT} sha256:{}\n", hash_key(KEY)),
        )
        .unwrap();
        k
    }

    #[test]
    fn a_known_key_is_accepted_from_either_header() {
        let k = keys();
        assert_eq!(k.authenticate(Some(KEY), None), Ok(ACCOUNT));
        assert_eq!(
            k.authenticate(None, Some(&format!("Bearer {KEY}"))),
            Ok(ACCOUNT)
        );
        assert_eq!(
            k.authenticate(None, Some(&format!("bearer {KEY}"))),
            Ok(ACCOUNT)
        );
    }

    #[test]
    fn exactly_one_header_and_a_known_key_are_required() {
        let k = keys();
        assert_eq!(k.authenticate(None, None), Err(AuthError::Missing));
        assert_eq!(
            k.authenticate(Some(KEY), Some(&format!("Bearer {KEY}"))),
            Err(AuthError::Both)
        );
        assert_eq!(
            k.authenticate(None, Some(&format!("Basic {KEY}"))),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            k.authenticate(Some("rf_wrong_wrong_wrong"), None),
            Err(AuthError::Invalid)
        );
        assert_eq!(k.authenticate(Some("  "), None), Err(AuthError::Missing));
    }

    #[test]
    fn plain_keys_are_kept_only_as_hashes() {
        let mut k = ApiKeys::default();
        k.add_plain_list("REELFORGE_API_KEYS", &format!("{ACCOUNT}={KEY}"))
            .unwrap();
        assert_eq!(k.authenticate(Some(KEY), None), Ok(ACCOUNT));
        assert!(!format!("{k:?}").contains(KEY));
    }

    #[test]
    fn bad_key_lines_name_their_line() {
        let mut k = ApiKeys::default();
        let e = k
            .add_lines(
                "keys",
                &format!("{ACCOUNT} {}\nnot-a-uuid abc", hash_key(KEY)),
            )
            .unwrap_err();
        assert!(matches!(e, KeyError::Line { line: 2, .. }), "{e}");
        assert!(k.add_lines("keys", &format!("{ACCOUNT} 1234")).is_err());
        assert!(k
            .add_plain_list("env", &format!("{ACCOUNT}=short"))
            .is_err());
    }

    #[test]
    fn new_keys_differ_and_hash_to_64_hex_digits() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert_eq!(hash_key(&a).len(), 64);
    }
}
