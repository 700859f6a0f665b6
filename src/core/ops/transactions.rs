//! The ledger, read: `getLoyaltyTransaction` and `queryLoyaltyTransactions`.
//!
//! A query that pins one `accountId` scans that account's ledger (`ledger/<accountId>/`), any
//! other the time index (`ledger-time/`). Ordered by `_createdDate` (newest first unless sorted
//! ascending), a page streams from the index and costs the same however large the ledger grows;
//! any other order (every field is sortable) reads the whole family scanned (see
//! [`crate::core::query::scan`]).

use super::arg;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Request, Step};
use crate::core::query::fields::{TRANSACTIONS, TXN_ACCOUNT_ID, TXN_CREATED_DATE};
use crate::core::query::paging::{cursor_paging, CursorMetadata, DEFAULT_LIMIT};
use crate::core::query::scan::{self, Page, Query};
use crate::core::query::{filter, sort};
use crate::core::reason::Reason;
use crate::core::records::{self, encode, keys, TransactionRecord};
use crate::core::validate::{is_guid, Check};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTransaction(String);

pub fn get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("loyaltyTransactionId", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    Ok(Step::new(Request::Read(vec![keys::transaction(&id)]), GetTransaction(id)))
}

impl Machine for GetTransaction {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let id = &self.0;
        let Some(stored) = expect_read(io, 1)?.into_iter().next().flatten() else {
            return Err(LoyaltyError::not_found(
                Reason::TransactionNotFound,
                format!("loyalty transaction {id} does not exist"),
            )
            .with_data(&[("loyaltyTransactionId", &id)]));
        };
        let txn: TransactionRecord = records::decode(&keys::transaction(id), &stored.value)?;
        Ok(Step::done(format!("{{\"loyaltyTransaction\":{}}}", records::json::transaction_view(&txn))))
    }
}

const CURSOR_FIELD: &str = "query.cursorPaging.cursor";

/// The families a transactions cursor may name: the time index or one account's ledger.
fn valid_family(prefix: &str) -> bool {
    prefix == keys::LEDGER_TIME_PREFIX
        || prefix.strip_prefix(keys::LEDGER_PREFIX).and_then(|r| r.strip_suffix('/')).is_some_and(is_guid)
}

fn render(page: Page) -> Result<String> {
    Ok(format!(
        "{{\"loyaltyTransactions\":[{}],\"pagingMetadata\":{}}}",
        page.items.join(","),
        encode(&CursorMetadata::new(page.items.len(), page.cursors))?
    ))
}

/// The filter and order of a transactions query (`{ filter?, sort? }`), from the call or a cursor.
fn parse_query(c: &mut Check, q: &Input) -> (filter::Filter, Vec<sort::SortKey>) {
    scan::filter_and_sort(c, "query", q, TRANSACTIONS.fields)
}

/// `queryLoyaltyTransactions({ filter?, sort?, cursorPaging? })`, as the query builder sends it.
pub fn query(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let q = c.object("query", arg(args, 0), false).unwrap_or(&Input::Null);
    let (limit, cursor) = cursor_paging(&mut c, "query.cursorPaging", q.get("cursorPaging"));
    let (filter, sort) =
        if cursor.is_none() { parse_query(&mut c, q) } else { (filter::Filter::EVERYTHING, Vec::new()) };
    c.finish()?;
    if let Some(text) = cursor {
        return scan::resume_cursor(&TRANSACTIONS, CURSOR_FIELD, &text, limit, &valid_family, parse_query, render);
    }
    let source =
        Input::Object(vec![("filter".into(), q.get("filter").clone()), ("sort".into(), q.get("sort").clone())]);
    let (prefix, unfiltered) = match filter.pinned(TXN_ACCOUNT_ID) {
        Some(id) if is_guid(id) => {
            (keys::account_ledger_prefix(&id.to_ascii_lowercase()), filter.only_pins(TXN_ACCOUNT_ID))
        }
        _ => (keys::LEDGER_TIME_PREFIX.to_string(), filter == filter::Filter::EVERYTHING),
    };
    // Both families are in creation order: newest first unless sorted ascending on _createdDate.
    let streaming = match sort.as_slice() {
        [] => Some(true),
        [first] if first.field == TXN_CREATED_DATE => Some(first.desc),
        _ => None,
    };
    let query = Query { prefix, source, filter, sort, streaming, unfiltered, limit: limit.unwrap_or(DEFAULT_LIMIT) };
    Ok(scan::first(&TRANSACTIONS, query, render))
}
