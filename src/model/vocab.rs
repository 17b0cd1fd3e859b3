//! GPT-2 byte-level token text back to raw bytes.
//!
//! CTranslate2 stores Whisper's vocabulary as GPT-2's printable stand-ins (for example `Ġ` for a
//! space); whisper.cpp wants each token's real bytes.

use std::collections::HashMap;

/// The inverse of GPT-2's `bytes_to_unicode`: printable stand-in char → byte.
pub fn unicode_to_byte() -> HashMap<char, u8> {
    let printable = |b: u32| {
        (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b)
    };
    let mut map = HashMap::with_capacity(256);
    let mut next = 0u32;
    for b in 0..=255u32 {
        let c = if printable(b) {
            b
        } else {
            next += 1;
            255 + next
        };
        map.insert(char::from_u32(c).expect("valid code point"), b as u8);
    }
    map
}

/// Decodes one vocabulary entry; `None` when it holds a char outside the byte alphabet.
pub fn token_bytes(token: &str, table: &HashMap<char, u8>) -> Option<Vec<u8>> {
    token.chars().map(|c| table.get(&c).copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_stand_ins_back_to_bytes() {
        let t = unicode_to_byte();
        assert_eq!(t.len(), 256);
        assert_eq!(token_bytes("Ġthe", &t).unwrap(), b" the");
        assert_eq!(token_bytes("Ċ", &t).unwrap(), b"\n");
        assert_eq!(token_bytes("hello", &t).unwrap(), b"hello");
        // "Ã©" is how GPT-2 spells the UTF-8 bytes of "é".
        assert_eq!(token_bytes("Ã©", &t).unwrap(), "é".as_bytes());
        assert!(token_bytes("☃", &t).is_none());
    }
}
