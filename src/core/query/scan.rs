//! Running a query over one key family, page by page, in both directions.
//!
//! Two plans. When the family's key order already is the order asked for (a ledger index
//! sorted by creation time), the scan *streams*: it walks the index from the cursor and stops
//! as soon as a page is full, so a page costs the same however large the store grows. Any other
//! order is a *full* scan: every row of the family is read in batches and the best `limit + 1`
//! rows after the cursor are kept, so a page costs O(rows in the family) time and O(limit)
//! memory. Every order is total (ties broken by key), so pages never skip or repeat a row.
//!
//! A cursor holds the query as the caller gave it (parsed and checked again when it comes back)
//! and the position of the row it continues from: `next` continues after the page's last row,
//! `prev` goes back from its first row.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use serde::Serialize;

use super::cursor::{decode_cursor, encode_cursor, invalid_cursor, CURSOR_VERSION};
use super::fields::{Entity, Fields, Val};
use super::filter::{matches, Filter};
use super::paging::{Cursors, MAX_LIMIT};
use super::sort::{order, Position, SortKey};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_scan, Io, Machine, Request, ScanRequest, Step};
use crate::core::validate::Check;

/// Rows per scan of a full plan.
const FULL_BATCH: u32 = 500;
/// Rows per scan of a streaming plan whose filter may drop rows.
const FILTERED_BATCH: u32 = 100;

/// What to run: the family, the filter, the order and the page size.
#[derive(Debug, Clone)]
pub struct Query {
    /// The key family scanned, e.g. `ledger-time/` or `ledger/<accountId>/`.
    pub prefix: String,
    /// The query as given (`{ filter, sort, ... }`): a cursor carries it.
    pub source: Input,
    pub filter: Filter,
    pub sort: Vec<SortKey>,
    /// `Some(reverse)` when the family's key order (descending when `reverse`) is the order
    /// asked for: the scan streams. `None`: a full scan.
    pub streaming: Option<bool>,
    /// Whether every row of the family passes the filter (no need to read more than a page).
    pub unfiltered: bool,
    pub limit: u32,
}

/// One page, for the operation to render.
#[derive(Debug)]
pub struct Page {
    /// The view JSON of each row, in order.
    pub items: Vec<String>,
    pub cursors: Cursors,
    /// The position of the first row in the whole result.
    pub offset: usize,
}

/// Renders the answer of a page.
pub type Render = fn(Page) -> Result<String>;

/// Parses a query's `source` again (from a cursor) into its filter and order.
pub type Reparse = fn(&mut Check, &Input) -> (Filter, Vec<SortKey>);

/// A cursor as written: the query, the row to continue from (exclusive) and the direction.
#[derive(Serialize)]
struct CursorDoc<'a> {
    v: u32,
    p: &'a str,
    s: &'a Input,
    i: Option<bool>,
    u: bool,
    l: u32,
    k: &'a str,
    a: Vec<Input>,
    b: bool,
    /// For a forward cursor the offset of the page it leads to; backward, of the page it ends before.
    o: usize,
}

#[derive(Debug, Clone)]
pub struct Run {
    entity: &'static Entity,
    query: Query,
    anchor: Option<Position>,
    backward: bool,
    offset: usize,
    /// The scan position: the last key read.
    after: Option<String>,
    /// The scan in flight.
    pending: Option<ScanRequest>,
    /// Matches kept so far, in the order of travel, decoded.
    found: Vec<(Position, Rc<Decoded>)>,
    render: Render,
}

/// `{ filter?, sort? }` of a query over `fields` (`field` names the query in errors).
pub fn filter_and_sort(
    c: &mut Check,
    field: &str,
    q: &Input,
    fields: &'static [super::fields::FieldSpec],
) -> (Filter, Vec<SortKey>) {
    let f = match q.get("filter") {
        v if v.is_absent() => Filter::EVERYTHING,
        v => super::filter::parse(c, &format!("{field}.filter"), v, fields),
    };
    (f, super::sort::parse(c, &format!("{field}.sort"), q.get("sort"), 5, fields))
}

/// A query (`{ filter?, sort?, cursorPaging? }`, `field` naming it in errors) over a whole key
/// family whose rows may be hidden (tombstones): in key order unless sorted, or the page its
/// cursor leads to (`reparse` reads the cursor's query again).
pub fn family_query(
    entity: &'static Entity,
    prefix: &str,
    field: &str,
    q: &Input,
    reparse: Reparse,
    render: Render,
) -> Result<Step> {
    let mut c = Check::default();
    let (limit, cursor) = super::paging::cursor_paging(&mut c, &format!("{field}.cursorPaging"), q.get("cursorPaging"));
    let (filter, sort) = if cursor.is_none() { reparse(&mut c, q) } else { (Filter::EVERYTHING, Vec::new()) };
    c.finish()?;
    if let Some(text) = cursor {
        let field = format!("{field}.cursorPaging.cursor");
        return resume_cursor(entity, &field, &text, limit, &|p| p == prefix, reparse, render);
    }
    let source =
        Input::Object(vec![("filter".into(), q.get("filter").clone()), ("sort".into(), q.get("sort").clone())]);
    let streaming = if sort.is_empty() { Some(false) } else { None };
    let limit = limit.unwrap_or(super::paging::DEFAULT_LIMIT);
    Ok(first(
        entity,
        Query { prefix: prefix.into(), source, filter, sort, streaming, unfiltered: false, limit },
        render,
    ))
}

/// The first page of `query` over `entity`.
pub fn first(entity: &'static Entity, query: Query, render: Render) -> Step {
    run(Run {
        entity,
        query,
        anchor: None,
        backward: false,
        offset: 0,
        after: None,
        pending: None,
        found: Vec::new(),
        render,
    })
}

/// The page a cursor leads to. `field` names the cursor argument in errors, `valid` checks the
/// family it names, `reparse` reads its query again, and `limit` (if given) replaces the page size.
pub fn resume_cursor(
    entity: &'static Entity,
    field: &str,
    text: &str,
    limit: Option<u32>,
    valid: &dyn Fn(&str) -> bool,
    reparse: Reparse,
    render: Render,
) -> Result<Step> {
    let doc = decode_cursor(field, text)?;
    let bad = || invalid_cursor(field);
    let prefix = doc.get("p").text().filter(|p| valid(p)).ok_or_else(bad)?.to_string();
    let key = doc.get("k").text().filter(|k| k.starts_with(&prefix)).ok_or_else(bad)?.to_string();
    let streaming = match doc.get("i") {
        Input::Bool(b) => Some(*b),
        Input::Null => None,
        _ => return Err(bad()),
    };
    let flag = |name: &str| match doc.get(name) {
        Input::Bool(b) => Ok(*b),
        _ => Err(bad()),
    };
    let (unfiltered, backward) = (flag("u")?, flag("b")?);
    let limit = match limit {
        Some(l) => l,
        None => doc.get("l").whole().filter(|l| (1..=u64::from(MAX_LIMIT)).contains(l)).ok_or_else(bad)? as u32,
    };
    let offset = doc.get("o").whole().ok_or_else(bad)? as usize;
    let vals = match doc.get("a") {
        Input::Array(items) => items.iter().map(Val::from_input).collect::<Option<Vec<_>>>().ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let source = doc.get("s").clone();
    let mut c = Check::default();
    let (filter, sort) = reparse(&mut c, &source);
    if !c.is_ok() || vals.len() != sort.len() {
        return Err(bad());
    }
    // A stream continues from the anchor's key; a full scan reads the whole family again.
    let after = streaming.map(|_| key.clone());
    let query = Query { prefix, source, filter, sort, streaming, unfiltered, limit };
    Ok(run(Run {
        entity,
        query,
        anchor: Some(Position { vals, key }),
        backward,
        offset,
        after,
        pending: None,
        found: Vec::new(),
        render,
    }))
}

fn run(mut state: Run) -> Step {
    let q = &state.query;
    let (limit, reverse) = match q.streaming {
        Some(reverse) => {
            let batch = if q.unfiltered { q.limit + 1 } else { (q.limit + 1).max(FILTERED_BATCH) };
            (batch, reverse != state.backward)
        }
        None => (FULL_BATCH, false),
    };
    let request = ScanRequest { prefix: q.prefix.clone(), after: state.after.clone(), limit, reverse };
    state.pending = Some(request.clone());
    Step::new(Request::Scan(request), state)
}

impl Run {
    /// Whether `pos` comes after the anchor in the direction of travel.
    fn after_anchor(&self, pos: &Position) -> bool {
        self.anchor.as_ref().is_none_or(|a| order(&self.query.sort, pos, a, self.backward).is_gt())
    }

    fn keep(&mut self, pos: Position, value: Rc<Decoded>) {
        let cap = self.query.limit as usize + 1;
        let (sort, backward) = (&self.query.sort, self.backward);
        let at = self.found.partition_point(|(p, _)| order(sort, p, &pos, backward).is_lt());
        if at < cap {
            self.found.insert(at, (pos, value));
            self.found.truncate(cap);
        }
    }

    fn cursor(&self, pos: &Position, backward: bool, o: usize) -> Result<String> {
        let q = &self.query;
        encode_cursor(&CursorDoc {
            v: CURSOR_VERSION,
            p: &q.prefix,
            s: &q.source,
            i: q.streaming,
            u: q.unfiltered,
            l: q.limit,
            k: &pos.key,
            a: pos.vals.iter().map(Val::to_input).collect(),
            b: backward,
            o,
        })
    }

    fn finish(mut self) -> Result<Step> {
        let limit = self.query.limit as usize;
        let more = self.found.len() > limit;
        self.found.truncate(limit);
        if self.backward {
            self.found.reverse();
        }
        let count = self.found.len();
        let offset = if self.backward { self.offset.saturating_sub(count) } else { self.offset };
        let has_next = if self.backward { self.anchor.is_some() } else { more };
        let has_prev = if self.backward { more } else { self.anchor.is_some() };
        let cursors = Cursors {
            next: match self.found.last() {
                Some((p, _)) if has_next => Some(self.cursor(p, false, offset + count)?),
                _ => None,
            },
            prev: match self.found.first() {
                Some((p, _)) if has_prev => Some(self.cursor(p, true, offset)?),
                _ => None,
            },
        };
        let mut items = Vec::with_capacity(count);
        for (_, row) in &self.found {
            items.push(match row.view.get() {
                Some(view) => view.clone(),
                None => {
                    let view = row.fields.view_json()?;
                    let _ = row.view.set(view.clone());
                    view
                }
            });
        }
        Ok(Step::done((self.render)(Page { items, cursors, offset })?))
    }
}

/// A decoded row, and its view once shown.
struct Decoded {
    fields: Box<dyn Fields>,
    view: OnceCell<String>,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decoded")
    }
}

/// Ledger rows decoded lately, by their text: a page read again (a ledger paged back and forth,
/// or polled) is neither parsed nor shown afresh. (Only rows that never change are kept: an
/// account's text changes with every balance change, and keeping each version would only fill
/// the slots.) A row is taken from here only when its text and
/// entity are exactly those decoded, so what a query sees never depends on it. Two ways per
/// set (a page's rows must not evict each other), sets chosen by the text's hash. 2048 rows (the
/// first pages of a few dozen ledgers; at most about 2 MB by an estimate of a row's text,
/// record and view).
const DECODED_SLOTS: usize = 2048;

type DecodedSlot = Option<(usize, String, Rc<Decoded>)>;

thread_local! {
    static DECODED: RefCell<Vec<DecodedSlot>> = const { RefCell::new(Vec::new()) };
}

/// The first of the two slots a text of hash `h` may take.
fn decoded_set(h: usize) -> usize {
    (h % DECODED_SLOTS) & !1
}

fn decode_row(entity: &Entity, key: &str, text: String) -> Result<Rc<Decoded>> {
    if !entity.immutable {
        return Ok(Rc::new(Decoded { fields: (entity.decode)(key, &text)?, view: OnceCell::new() }));
    }
    let tag = entity.fields.as_ptr() as usize;
    let h = crate::core::small::hash(text.as_bytes()) as usize;
    let set = decoded_set(h);
    let known =
        DECODED.with(|cache| {
            let cache = cache.borrow();
            cache.get(set..set + 2)?.iter().flatten().find_map(|(t, known, row)| {
                (*t == tag && crate::core::small::same(known, &text)).then(|| Rc::clone(row))
            })
        });
    if let Some(row) = known {
        return Ok(row);
    }
    let row = Rc::new(Decoded { fields: (entity.decode)(key, &text)?, view: OnceCell::new() });
    DECODED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.is_empty() {
            cache.resize_with(DECODED_SLOTS, || None);
        }
        // An empty way if there is one, else one picked by other bits of the hash.
        let way = match cache.get(set) {
            Some(None) => set,
            _ if matches!(cache.get(set + 1), Some(None)) => set + 1,
            _ => set + (h >> 16 & 1),
        };
        if let Some(s) = cache.get_mut(way) {
            *s = Some((tag, text, Rc::clone(&row)));
        }
    });
    Ok(row)
}

impl Machine for Run {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let Some(request) = self.pending.take() else {
            return Err(LoyaltyError::storage_protocol("a scan answer arrived with no scan in flight"));
        };
        let rows = expect_scan(io, &request)?;
        let exhausted = (rows.len() as u32) < request.limit;
        let cap = self.query.limit as usize + 1;
        for row in rows {
            let entity = decode_row(self.entity, &row.key, row.value)?;
            if entity.fields.hidden() || !matches(&self.query.filter, entity.fields.as_ref(), self.entity.fields) {
                self.after = Some(row.key);
                continue;
            }
            let pos = Position::of(entity.fields.as_ref(), &row.key, &self.query.sort);
            self.after = Some(row.key);
            if self.query.streaming.is_some() {
                self.found.push((pos, entity));
                if self.found.len() == cap {
                    return self.finish();
                }
            } else if self.after_anchor(&pos) {
                self.keep(pos, entity);
            }
        }
        if exhausted {
            self.finish()
        } else {
            Ok(run(*self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_row, decoded_set};
    use crate::core::query::fields::{Val, TRANSACTIONS};
    use crate::core::records::{json, AdjustInfo, TransactionRecord, TransactionType};
    use crate::core::small::hash;

    fn text(description: &str) -> String {
        json::transaction(&TransactionRecord {
            schema: 1,
            id: "aea5f4f1-1307-477a-8ba2-698267352ffa".into(),
            account_id: "067c76f8-f288-4051-bf40-a0528d7d5b98".into(),
            account_revision: 7,
            created_ms: 1_795_852_882_608,
            amount: 5,
            transaction_type: TransactionType::Adjust,
            description: description.into(),
            idempotency_key: "aea5f4f1-1307-477a-8ba2-698267352ffa".into(),
            earn_info: None,
            adjust_info: Some(AdjustInfo { app_id: "app".into(), amount_before: 1, amount_after: 6 }),
            redeem_info: None,
            refund_info: None,
        })
    }

    fn set(text: &str) -> usize {
        decoded_set(hash(text.as_bytes()) as usize)
    }

    #[test]
    fn a_remembered_row_answers_only_its_own_text() {
        // Texts of the same length that land in the same set: only the whole text tells them apart.
        let first = text("d0000");
        let twins: Vec<String> = (1..100_000)
            .map(|n| text(&format!("d{n:04}")))
            .filter(|t| set(t) == set(&first) && t.len() == first.len())
            .take(3)
            .collect();
        assert_eq!(twins.len(), 3);
        let description = |t: &str| match decode_row(&TRANSACTIONS, "ledger/x", t.to_string())
            .unwrap()
            .fields
            .value(description_field())
        {
            Val::Str(s) => s,
            other => panic!("{other:?}"),
        };
        for round in 0..2 {
            assert_eq!(description(&first), "d0000", "round {round}");
            for twin in &twins {
                assert_eq!(
                    description(twin),
                    twin[twin.find("\"description\":\"").unwrap() + 15..][..5],
                    "round {round}"
                );
            }
        }
        // The same text again is the same decoded row; a corrupted text is an error, not a memory.
        let a = decode_row(&TRANSACTIONS, "k", first.clone()).unwrap();
        assert!(std::rc::Rc::ptr_eq(&a, &decode_row(&TRANSACTIONS, "k", first.clone()).unwrap()));
        assert!(decode_row(&TRANSACTIONS, "k", first[..first.len() - 1].to_string()).is_err());
    }

    fn description_field() -> usize {
        crate::core::query::fields::lookup(TRANSACTIONS.fields, "description").unwrap()
    }
}
