//! Sorting: `sort: [{ fieldName, order: "ASC" | "DESC" }]`, primary key first. Every order is
//! total: ties are broken by the storage key, in the direction of the first sort key.

use std::cmp::Ordering;

use super::fields::{self, FieldSpec, Fields, Val};
use super::filter::compare;
use crate::core::input::Input;
use crate::core::reason::Reason;
use crate::core::validate::Check;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: usize,
    pub desc: bool,
}

/// Parses `sort` (at most `max` entries) over an entity's fields.
pub fn parse(c: &mut Check, path: &str, value: &Input, max: usize, specs: &[FieldSpec]) -> Vec<SortKey> {
    let items = match value {
        Input::Array(items) if items.len() <= max => items,
        Input::Array(items) => {
            c.fail(path, Reason::TooMany, format!("may hold at most {max} entries (got {})", items.len()));
            return Vec::new();
        }
        v if v.is_absent() => return Vec::new(),
        other => {
            c.fail(path, Reason::WrongType, format!("must be an array (got {})", other.describe()));
            return Vec::new();
        }
    };
    let mut keys = Vec::with_capacity(items.len());
    for (i, s) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let name = c.required_string(&format!("{p}.fieldName"), s.get("fieldName"), 1, 512);
        let desc = match s.get("order") {
            Input::String(o) if o == "ASC" => false,
            Input::String(o) if o == "DESC" => true,
            v if v.is_absent() => false,
            other => {
                c.fail(
                    &format!("{p}.order"),
                    Reason::WrongType,
                    format!("must be \"ASC\" or \"DESC\" (got {})", other.describe()),
                );
                continue;
            }
        };
        let Some(name) = name else { continue };
        match fields::lookup(specs, &name) {
            Some(field) => keys.push(SortKey { field, desc }),
            None => c.fail(
                &format!("{p}.fieldName"),
                Reason::UnsupportedSort,
                format!("cannot be sorted on: sortable fields are {}", fields::names(specs)),
            ),
        }
    }
    keys
}

/// A row's place in a sorted query: its sort values, then its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub vals: Vec<Val>,
    pub key: String,
}

impl Position {
    pub fn of(entity: &dyn Fields, key: &str, sort: &[SortKey]) -> Position {
        Position { vals: sort.iter().map(|s| entity.value(s.field)).collect(), key: key.to_string() }
    }
}

/// Compares two positions in the order `sort` asks for (`reverse` flips all of it).
pub fn order(sort: &[SortKey], a: &Position, b: &Position, reverse: bool) -> Ordering {
    for (i, s) in sort.iter().enumerate() {
        let ord = compare(a.vals.get(i).unwrap_or(&Val::Null), b.vals.get(i).unwrap_or(&Val::Null));
        if ord != Ordering::Equal {
            let ord = if s.desc { ord.reverse() } else { ord };
            return if reverse { ord.reverse() } else { ord };
        }
    }
    let ord = a.key.cmp(&b.key);
    let ord = if sort.first().is_some_and(|s| s.desc) { ord.reverse() } else { ord };
    if reverse {
        ord.reverse()
    } else {
        ord
    }
}
