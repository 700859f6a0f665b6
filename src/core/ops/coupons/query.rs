//! `queryLoyaltyCoupons` and `bulkGetLoyaltyCoupon`.

use crate::core::error::Result;
use crate::core::input::Input;
use crate::core::ops::arg;
use crate::core::protocol::Context;
use crate::core::protocol::Step;
use crate::core::query::fields::COUPONS;
use crate::core::query::filter::Filter;
use crate::core::query::paging::MetadataV2;
use crate::core::query::scan::{self, Page};
use crate::core::query::sort::SortKey;
use crate::core::records::{encode, keys};
use crate::core::validate::Check;

fn parse_query(c: &mut Check, q: &Input) -> (Filter, Vec<SortKey>) {
    scan::filter_and_sort(c, "query", q, COUPONS.fields)
}

fn render_query(page: Page) -> Result<String> {
    let paging = MetadataV2::new(page.items.len(), page.offset, page.cursors);
    Ok(format!("{{\"loyaltyCoupons\":[{}],\"metadata\":{}}}", page.items.join(","), encode(&paging)?))
}

fn render_bulk(page: Page) -> Result<String> {
    Ok(format!("{{\"couponsInSite\":[{{\"loyaltyCoupons\":[{}]}}]}}", page.items.join(",")))
}

/// A query over `coupon/` (tombstones skipped), in id order unless sorted.
fn run_query(field: &str, q: &Input, render: scan::Render) -> Result<Step> {
    scan::family_query(&COUPONS, keys::COUPON_PREFIX, field, q, parse_query, render)
}

/// `queryLoyaltyCoupons({ filter?, sort?, cursorPaging? })`: `{ loyaltyCoupons, metadata }`.
pub fn query(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let q = c.object("query", arg(args, 0), false).unwrap_or(&Input::Null).clone();
    c.finish()?;
    run_query("query", &q, render_query)
}

/// `bulkGetLoyaltyCoupon({ query? })`: one page of this site's coupons (at most 100).
pub fn bulk_get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let q = match c.object("options", arg(args, 0), false) {
        Some(o) => c.object("options.query", o.get("query"), false).unwrap_or(&Input::Null).clone(),
        None => Input::Null,
    };
    c.finish()?;
    run_query("options.query", &q, render_bulk)
}
