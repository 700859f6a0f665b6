//! Account queries: `queryLoyaltyAccounts(query)`, `searchAccounts(search)` (the same, plus free
//! text over the contact's name and email) and `countAccounts({ filter?, search? })`. Accounts
//! have no index in the order these sort by (newest first by default), so every page reads the
//! whole `acct/` family and keeps the best rows (see [`crate::core::query::scan`]): O(accounts)
//! per page. `listAccounts` pages in key order and stays cheap on large stores.

use super::arg;
use crate::core::error::{Code, LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_scan, Context, Io, Machine, Request, ScanRequest, Step};
use crate::core::query::fields::{self, ACCOUNTS, ACCOUNT_CONTACT_EMAIL, ACCOUNT_CONTACT_NAME};
use crate::core::query::filter::{self, Filter};
use crate::core::query::paging::{cursor_paging, CursorMetadata, DEFAULT_LIMIT};
use crate::core::query::scan::{self, Page, Query, Reparse};
use crate::core::query::sort::{self, SortKey};
use crate::core::reason::Reason;
use crate::core::records::{encode, keys};
use crate::core::validate::Check;

const CREATED_DATE: usize = 8;

fn valid_family(prefix: &str) -> bool {
    prefix == keys::ACCOUNT_PREFIX
}

fn page_json(page: &Page) -> Result<(String, String)> {
    Ok((page.items.join(","), encode(&CursorMetadata::new(page.items.len(), page.cursors.clone()))?))
}

fn render_query(page: Page) -> Result<String> {
    let (items, paging) = page_json(&page)?;
    Ok(format!("{{\"loyaltyAccounts\":[{items}],\"pagingMetadata\":{paging}}}"))
}

fn render_search(page: Page) -> Result<String> {
    let (items, paging) = page_json(&page)?;
    Ok(format!("{{\"accounts\":[{items}],\"pagingMetadata\":{paging},\"aggregationData\":{{\"results\":[]}}}}"))
}

/// `search: { expression, mode?, fields? }`: free text, as a filter over the text fields.
fn parse_text(c: &mut Check, path: &str, value: &Input) -> Option<Filter> {
    let s = c.object(path, value, false)?;
    let expression = c.string(&format!("{path}.expression"), s.get("expression"), 0, 100, false).flatten()?;
    let all = match s.get("mode") {
        Input::String(m) if m == "AND" => true,
        Input::String(m) if m == "OR" => false,
        v if v.is_absent() => false,
        other => {
            c.fail(
                &format!("{path}.mode"),
                Reason::WrongType,
                format!("must be \"OR\" or \"AND\" (got {})", other.describe()),
            );
            false
        }
    };
    let searchable = [ACCOUNT_CONTACT_NAME, ACCOUNT_CONTACT_EMAIL];
    let mut chosen = Vec::new();
    match s.get("fields") {
        Input::Array(items) if items.len() <= 20 => {
            for (i, item) in items.iter().enumerate() {
                match item.text().and_then(|name| fields::lookup(ACCOUNTS.fields, name)) {
                    Some(f) if searchable.contains(&f) => chosen.push(f),
                    _ => c.fail(
                        &format!("{path}.fields[{i}]"),
                        Reason::UnsupportedField,
                        "is not searchable (contact.name, contact.email)",
                    ),
                }
            }
        }
        v if v.is_absent() => {}
        other => c.fail(
            &format!("{path}.fields"),
            Reason::WrongType,
            format!("must be an array of at most 20 names (got {})", other.describe()),
        ),
    }
    if chosen.is_empty() {
        chosen = searchable.to_vec();
    }
    let words: Vec<String> = expression.split_whitespace().map(str::to_ascii_lowercase).collect();
    (!words.is_empty()).then_some(Filter::Text { fields: chosen, words, all })
}

/// The accounts a `{ filter?, search? }` selects (`countAccounts`, `bulkAdjustPoints`' `search`,
/// and with `sort`, the queries); `path` names the object in errors.
pub fn parse_selection(c: &mut Check, path: &str, o: &Input) -> Filter {
    let at = |name: &str| format!("{path}.{name}");
    let f = match o.get("filter") {
        v if v.is_absent() => Filter::EVERYTHING,
        v => filter::parse(c, &at("filter"), v, ACCOUNTS.fields),
    };
    match parse_text(c, &at("search"), o.get("search")) {
        Some(t) if f == Filter::EVERYTHING => t,
        Some(t) => Filter::All(vec![f, t]),
        None => f,
    }
}

fn reparse_query(c: &mut Check, q: &Input) -> (Filter, Vec<SortKey>) {
    (parse_selection(c, "query", q), sort::parse(c, "query.sort", q.get("sort"), 5, ACCOUNTS.fields))
}

fn reparse_search(c: &mut Check, q: &Input) -> (Filter, Vec<SortKey>) {
    (parse_selection(c, "search", q), sort::parse(c, "search.sort", q.get("sort"), 10, ACCOUNTS.fields))
}

/// A query or a search: `path` is the argument (`query`, `search`).
fn run(args: &[Input], path: &str, reparse: Reparse, render: scan::Render) -> Result<Step> {
    let mut c = Check::default();
    let q = c.object(path, arg(args, 0), false).unwrap_or(&Input::Null);
    let (limit, cursor) = cursor_paging(&mut c, &format!("{path}.cursorPaging"), q.get("cursorPaging"));
    if matches!(q.get("aggregations"), Input::Array(a) if !a.is_empty()) {
        return Err(LoyaltyError::new(
            Code::Unimplemented,
            Reason::NotImplemented,
            "searchAccounts: aggregations are not implemented by this engine (search without them)",
        ));
    }
    let (filter, mut order) = if cursor.is_none() { reparse(&mut c, q) } else { (Filter::EVERYTHING, Vec::new()) };
    c.finish()?;
    if let Some(text) = cursor {
        let field = format!("{path}.cursorPaging.cursor");
        return scan::resume_cursor(&ACCOUNTS, &field, &text, limit, &valid_family, reparse, render);
    }
    // Newest first unless sorted otherwise (the cursor keeps the order through the source).
    let mut source = q.clone();
    if order.is_empty() {
        order.push(SortKey { field: CREATED_DATE, desc: true });
        let default = Input::Array(vec![Input::Object(vec![
            ("fieldName".into(), Input::String("_createdDate".into())),
            ("order".into(), Input::String("DESC".into())),
        ])]);
        source = match source {
            Input::Object(mut fields) => {
                fields.push(("sort".into(), default));
                Input::Object(fields)
            }
            _ => Input::Object(vec![("sort".into(), default)]),
        };
    }
    let unfiltered = filter == Filter::EVERYTHING;
    let query = Query {
        prefix: keys::ACCOUNT_PREFIX.into(),
        source,
        filter,
        sort: order,
        streaming: None,
        unfiltered,
        limit: limit.unwrap_or(DEFAULT_LIMIT),
    };
    Ok(scan::first(&ACCOUNTS, query, render))
}

pub fn query(args: &[Input], _: &Context) -> Result<Step> {
    run(args, "query", reparse_query, render_query)
}

pub fn search(args: &[Input], _: &Context) -> Result<Step> {
    run(args, "search", reparse_search, render_search)
}

#[derive(Debug, Clone)]
pub struct Count {
    filter: Filter,
    after: Option<String>,
    count: u64,
}

const COUNT_BATCH: u32 = 500;

fn count_request(after: Option<String>) -> ScanRequest {
    ScanRequest { prefix: keys::ACCOUNT_PREFIX.into(), after, limit: COUNT_BATCH, reverse: false }
}

pub fn count(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let options = c.object("options", arg(args, 0), false).unwrap_or(&Input::Null);
    let filter = parse_selection(&mut c, "options", options);
    c.finish()?;
    Ok(Step::new(Request::Scan(count_request(None)), Count { filter, after: None, count: 0 }))
}

impl Machine for Count {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let rows = expect_scan(io, &count_request(self.after.clone()))?;
        let exhausted = (rows.len() as u32) < COUNT_BATCH;
        for row in rows {
            let account = (ACCOUNTS.decode)(&row.key, &row.value)?;
            self.count += u64::from(filter::matches(&self.filter, account.as_ref(), ACCOUNTS.fields));
            self.after = Some(row.key);
        }
        if !exhausted {
            return Ok(Step::new(Request::Scan(count_request(self.after.clone())), *self));
        }
        Ok(Step::done(format!("{{\"count\":{}}}", self.count)))
    }
}
