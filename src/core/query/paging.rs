//! Paging options (`cursorPaging: { limit, cursor }`) and the paging metadata of answers.

use serde::Serialize;

use super::cursor::MAX_CURSOR;
use crate::core::input::Input;
use crate::core::validate::Check;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

/// `cursorPaging: { limit, cursor }`: the page size (1 to 100) and the cursor, each if given.
pub fn cursor_paging(c: &mut Check, field: &str, value: &Input) -> (Option<u32>, Option<String>) {
    let Some(p) = c.object(field, value, false) else {
        return (None, None);
    };
    let limit = c.integer(&format!("{field}.limit"), p.get("limit"), 1, i64::from(MAX_LIMIT), false).flatten();
    let cursor = c.string(&format!("{field}.cursor"), p.get("cursor"), 1, MAX_CURSOR, false).flatten();
    (limit.map(|l| l as u32), cursor)
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursors {
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// `CursorPagingMetadata`: `{ count, cursors: { next, prev }, hasNext }`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CursorMetadata {
    pub count: usize,
    pub cursors: Cursors,
    pub has_next: bool,
}

impl CursorMetadata {
    pub fn new(count: usize, cursors: Cursors) -> Self {
        CursorMetadata { count, has_next: cursors.next.is_some(), cursors }
    }
}

/// `PagingMetadataV2`: `{ count, offset, total?, tooManyToCount?, cursors }`. `total` is given
/// once it is known without counting the whole store (on the last page).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataV2 {
    pub count: usize,
    pub offset: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_many_to_count: Option<bool>,
    pub cursors: Cursors,
}

impl MetadataV2 {
    pub fn new(count: usize, offset: usize, cursors: Cursors) -> Self {
        let last = cursors.next.is_none();
        MetadataV2 {
            count,
            offset,
            total: last.then_some(offset + count),
            too_many_to_count: last.then_some(false),
            cursors,
        }
    }
}
