//! `listAccounts({ contactIds?, cursorPaging? })` (deprecated in Wix, kept for existing code):
//! every account in key order (a streaming scan of `acct/`, see [`crate::core::query::scan`]),
//! or the accounts of up to 50 contacts in the order given (read through their contact index).
//! Answers `{ accounts, pagingMetadata: { count, offset, total?, tooManyToCount?, cursors } }`;
//! `total` appears on the last page of the whole list, where it is known without counting.

use serde::Serialize;

use super::arg;
use crate::core::error::Result;
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Request, Step};
use crate::core::query::cursor::{decode_cursor, encode_cursor, invalid_cursor, CURSOR_VERSION};
use crate::core::query::fields::ACCOUNTS;
use crate::core::query::filter::Filter;
use crate::core::query::paging::{cursor_paging, Cursors, MetadataV2, DEFAULT_LIMIT, MAX_LIMIT};
use crate::core::query::scan::{self, Page, Query};
use crate::core::query::sort::SortKey;
use crate::core::reason::Reason;
use crate::core::records::{self, encode, keys, IndexRecord};
use crate::core::rules::lookup;
use crate::core::validate::{is_guid, Check};

const CURSOR_FIELD: &str = "options.cursorPaging.cursor";

fn body(items: &[String], paging: &MetadataV2) -> Result<String> {
    Ok(format!("{{\"accounts\":[{}],\"pagingMetadata\":{}}}", items.join(","), encode(paging)?))
}

fn render(page: Page) -> Result<String> {
    body(&page.items, &MetadataV2::new(page.items.len(), page.offset, page.cursors))
}

fn whole_family(_: &mut Check, _: &Input) -> (Filter, Vec<SortKey>) {
    (Filter::EVERYTHING, Vec::new())
}

fn valid_family(prefix: &str) -> bool {
    prefix == keys::ACCOUNT_PREFIX
}

/// A page of the contact ids mode: the ids, the offset of the page and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByContacts {
    v: u32,
    c: Vec<String>,
    o: usize,
    l: u32,
    /// Once the indexes are read: the accounts they name.
    #[serde(skip)]
    accounts: Option<Vec<String>>,
}

pub fn start(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let mut ids: Option<Vec<String>> = None;
    let (mut limit, mut cursor) = (None, None);
    if let Some(o) = c.object("options", arg(args, 0), false) {
        match o.get("contactIds") {
            Input::Array(items) if items.len() <= 50 => {
                let list: Vec<String> = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| c.required_guid(&format!("options.contactIds[{i}]"), v))
                    .collect();
                if !list.is_empty() {
                    ids = Some(list);
                }
            }
            Input::Array(items) => {
                c.fail("options.contactIds", Reason::TooMany, format!("may hold at most 50 ids (got {})", items.len()))
            }
            v if v.is_absent() => {}
            other => c.fail(
                "options.contactIds",
                Reason::WrongType,
                format!("must be an array of GUIDs (got {})", other.describe()),
            ),
        }
        (limit, cursor) = cursor_paging(&mut c, "options.cursorPaging", o.get("cursorPaging"));
    }
    c.finish()?;
    let by_contacts = match (cursor, ids) {
        (Some(text), _) => {
            let doc = decode_cursor(CURSOR_FIELD, &text)?;
            if doc.get("c").is_absent() {
                return scan::resume_cursor(&ACCOUNTS, CURSOR_FIELD, &text, limit, &valid_family, whole_family, render);
            }
            let bad = || invalid_cursor(CURSOR_FIELD);
            let ids = match doc.get("c") {
                Input::Array(ids) => ids.iter().map(|id| id.text().filter(|t| is_guid(t)).map(String::from)).collect(),
                _ => None,
            };
            let l = match limit {
                Some(l) => Some(u64::from(l)),
                None => doc.get("l").whole().filter(|l| (1..=u64::from(MAX_LIMIT)).contains(l)),
            };
            match (ids, doc.get("o").whole(), l) {
                (Some(c), Some(o), Some(l)) => {
                    ByContacts { v: CURSOR_VERSION, c, o: o as usize, l: l as u32, accounts: None }
                }
                _ => return Err(bad()),
            }
        }
        (None, Some(c)) => ByContacts { v: CURSOR_VERSION, c, o: 0, l: limit.unwrap_or(DEFAULT_LIMIT), accounts: None },
        (None, None) => {
            let query = Query {
                prefix: keys::ACCOUNT_PREFIX.into(),
                source: Input::Null,
                filter: Filter::EVERYTHING,
                sort: Vec::new(),
                streaming: Some(false),
                unfiltered: true,
                limit: limit.unwrap_or(DEFAULT_LIMIT),
            };
            return Ok(scan::first(&ACCOUNTS, query, render));
        }
    };
    let page = by_contacts.c.iter().skip(by_contacts.o).take(by_contacts.l as usize);
    let keys = page.map(|id| keys::contact_index(id)).collect();
    Ok(Step::new(Request::Read(keys), by_contacts))
}

impl Machine for ByContacts {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let Some(account_ids) = self.accounts.take() else {
            // The contact indexes of the page: read the accounts they name.
            let page: Vec<&String> = self.c.iter().skip(self.o).take(self.l as usize).collect();
            let values = expect_read(io, page.len())?;
            let mut account_ids = Vec::new();
            for (id, stored) in page.iter().zip(values) {
                if let Some(stored) = stored {
                    let index: IndexRecord = records::decode(&keys::contact_index(id), &stored.value)?;
                    account_ids.push(index.account_id);
                }
            }
            let keys = account_ids.iter().map(|id| keys::account(id)).collect();
            self.accounts = Some(account_ids);
            return Ok(Step::new(Request::Read(keys), *self));
        };
        let values = expect_read(io, account_ids.len())?;
        let mut items = Vec::with_capacity(account_ids.len());
        for (id, stored) in account_ids.iter().zip(values) {
            // An index without its account would be a torn write; report it, never skip it.
            let (account, _) = lookup::read_account(id, stored.as_ref())?;
            items.push(records::json::account_view(&account));
        }
        let (o, l) = (self.o, self.l as usize);
        let at = |o: usize| encode_cursor(&ByContacts { o, accounts: None, ..(*self).clone() });
        let cursors = Cursors {
            next: if o + l < self.c.len() { Some(at(o + l)?) } else { None },
            prev: if o > 0 { Some(at(o.saturating_sub(l))?) } else { None },
        };
        // Some contacts may have no account: the total is not known from the ids alone.
        let paging = MetadataV2 { total: None, too_many_to_count: None, ..MetadataV2::new(items.len(), o, cursors) };
        Ok(Step::done(body(&items, &paging)?))
    }
}
