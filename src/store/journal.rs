//! The journal format of a [`super::Store`]: entries back to back, each `key length (u32 LE) ·
//! key · value length (u32 LE) · value · version (u64 LE)`, UTF-8; replaying an entry sets the key
//! to that value and version. A value length of [`SAME_VALUE`] stands for the value of the entry
//! before, with no value bytes (a transaction's three copies are journaled once). A dump of a
//! store is a journal too.

use crate::core::error::{LoyaltyError, Result};
use crate::core::reason::Reason;

/// The value length meaning "the value of the entry before".
pub const SAME_VALUE: u32 = u32::MAX;

/// Appends one entry's key (the value follows through [`value`] or [`same_value`]).
pub fn key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
}

/// Appends a value, then its version.
pub fn value(out: &mut Vec<u8>, value: &str, version: u64) {
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(&version.to_le_bytes());
}

/// Appends "the value of the entry before", then the version.
pub fn same_value(out: &mut Vec<u8>, version: u64) {
    out.extend_from_slice(&SAME_VALUE.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
}

/// Calls `apply(key, value, version)` for each entry of `bytes`, in order; an error, with
/// nothing more applied, at the first entry that is cut short or not UTF-8.
pub fn replay(bytes: &[u8], mut apply: impl FnMut(String, String, u64)) -> Result<()> {
    let mut r = Reader { bytes, at: 0 };
    let mut last = String::new();
    while r.at < bytes.len() {
        let key = r.text()?;
        let value = match u32::from_le_bytes(r.array()?) {
            SAME_VALUE => last.clone(),
            len => r.string(len as usize)?,
        };
        let version = u64::from_le_bytes(r.array()?);
        last.clone_from(&value);
        apply(key, value, version);
    }
    Ok(())
}

fn corrupt(why: &str) -> LoyaltyError {
    LoyaltyError::internal(Reason::JournalCorrupt, format!("a memoryStorage journal {why}"))
}

/// Reads journal bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).ok_or_else(|| corrupt("ends early"))?;
        let part = self.bytes.get(self.at..end).ok_or_else(|| corrupt("ends early"))?;
        self.at = end;
        Ok(part)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn text(&mut self) -> Result<String> {
        let len = u32::from_le_bytes(self.array()?) as usize;
        self.string(len)
    }

    fn string(&mut self, len: usize) -> Result<String> {
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| corrupt("holds invalid UTF-8"))
    }
}
