//! Cursors: opaque base64url (no padding) text of a JSON document that the issuing operation
//! defines. A cursor carries everything a next page needs (filter, order, page size, position),
//! as Wix's cursors do, so a request with a cursor ignores filter and sort. Cursors carry the
//! version of their layout; one from another layout is `INVALID_CURSOR`, never misread.

use serde::Serialize;

use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::reason::Reason;
use crate::core::records::encode;

/// The version of every cursor layout this engine issues.
pub const CURSOR_VERSION: u32 = 2;

/// Longest cursor accepted (Wix's limit).
pub const MAX_CURSOR: usize = 16_000;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let sextet = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(char::from(B64.get(sextet).copied().unwrap_or(b'A')));
        }
    }
    out
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

pub fn encode_cursor<T: Serialize>(cursor: &T) -> Result<String> {
    Ok(b64_encode(encode(cursor)?.as_bytes()))
}

/// Decodes a cursor this engine issued, of the current layout; `field` names the argument in
/// the error. The issuing operation reads its fields (and checks them) from the result.
pub fn decode_cursor(field: &str, text: &str) -> Result<Input> {
    let doc = b64_decode(text).and_then(|bytes| Input::parse(&bytes)).ok_or_else(|| invalid_cursor(field))?;
    if doc.get("v").whole() != Some(u64::from(CURSOR_VERSION)) {
        return Err(invalid_cursor(field));
    }
    Ok(doc)
}

pub fn invalid_cursor(field: &str) -> LoyaltyError {
    LoyaltyError::invalid_field(field, Reason::InvalidCursor, "is not a cursor this engine issued for this query")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "a", "ab", "abc", "abcd", "{\"k\":\"acct/1\"}", "ünïcødé"] {
            assert_eq!(b64_decode(&b64_encode(text.as_bytes())), Some(text.as_bytes().to_vec()));
        }
        assert_eq!(b64_decode("***"), None);
    }
}
