//! The filter language (Wix's API Query Language): `{ field: value }` for equality,
//! `{ field: { $op: operand } }` with `$eq $ne $lt $lte $gt $gte $in $nin $hasSome $hasAll
//! $exists $startsWith $endsWith $contains`, and `$and: [...]`, `$or: [...]`, `$not: {...}`.
//! Parsing checks every field and operator against the entity's [`FieldSpec`]s and reports every
//! violation with its path; [`matches`] evaluates a parsed filter against one entity.

use super::fields::{self, FieldSpec, Fields, Kind, Val};
use crate::core::input::Input;
use crate::core::reason::Reason;
use crate::core::small::contains;
use crate::core::time;
use crate::core::validate::Check;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Nin,
    HasAll,
    Exists,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    /// A field number of the entity, an operator, and its operand(s).
    Cmp(usize, Op, Vec<Val>),
    /// Free text: each word (lower case) is looked for in the given text fields; `all` = every
    /// word must be found (mode AND), else any (mode OR).
    Text {
        fields: Vec<usize>,
        words: Vec<String>,
        all: bool,
    },
}

impl Filter {
    pub const EVERYTHING: Filter = Filter::All(Vec::new());

    /// The value a top-level equality pins `field` to, if any (to choose an index).
    pub fn pinned(&self, field: usize) -> Option<&str> {
        match self {
            Filter::Cmp(f, Op::Eq, vals) if *f == field => match vals.first() {
                Some(Val::Str(s)) => Some(s),
                _ => None,
            },
            Filter::All(parts) => parts.iter().find_map(|p| p.pinned(field)),
            _ => None,
        }
    }

    /// True when the filter is nothing but equalities on `field` (a scan of its index needs no
    /// further filtering).
    pub fn only_pins(&self, field: usize) -> bool {
        match self {
            Filter::All(parts) => parts.iter().all(|p| p.only_pins(field)),
            Filter::Cmp(f, Op::Eq, _) => *f == field,
            _ => false,
        }
    }
}

/// Nesting of `$and`/`$or`/`$not` accepted.
const MAX_DEPTH: usize = 8;

const OPERATORS: &str = "$eq $ne $lt $lte $gt $gte $in $nin $hasSome $hasAll $exists $startsWith $endsWith $contains";

/// Parses a filter over an entity's fields; `path` names it in errors (e.g. `query.filter`).
pub fn parse(c: &mut Check, path: &str, value: &Input, specs: &[FieldSpec]) -> Filter {
    parse_at(c, path, value, specs, 0)
}

fn parse_at(c: &mut Check, path: &str, value: &Input, specs: &[FieldSpec], depth: usize) -> Filter {
    let Input::Object(entries) = value else {
        c.fail(path, Reason::WrongType, format!("must be a filter object (got {})", value.describe()));
        return Filter::EVERYTHING;
    };
    if depth > MAX_DEPTH {
        c.fail(path, Reason::TooDeep, format!("nests $and/$or/$not more than {MAX_DEPTH} levels"));
        return Filter::EVERYTHING;
    }
    let mut all = Vec::new();
    for (name, v) in entries {
        let p = format!("{path}.{name}");
        match name.as_str() {
            "$and" | "$or" => {
                let Input::Array(items) = v else {
                    c.fail(&p, Reason::WrongType, format!("must be an array of filters (got {})", v.describe()));
                    continue;
                };
                let parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, f)| parse_at(c, &format!("{p}[{i}]"), f, specs, depth + 1))
                    .collect();
                all.push(if name == "$and" { Filter::All(parts) } else { Filter::Any(parts) });
            }
            "$not" => all.push(Filter::Not(Box::new(parse_at(c, &p, v, specs, depth + 1)))),
            other => match fields::lookup(specs, other) {
                Some(field) => all.push(condition(c, &p, field, specs, v)),
                None => c.fail(
                    &p,
                    Reason::UnsupportedField,
                    format!("is not a filterable field ({})", fields::names(specs)),
                ),
            },
        }
    }
    match all.len() {
        1 => all.pop().unwrap_or(Filter::EVERYTHING),
        _ => Filter::All(all),
    }
}

/// A field's operand, checked against its kind.
pub fn operand(c: &mut Check, path: &str, spec: &FieldSpec, v: &Input) -> Val {
    match (v, spec.kind) {
        (Input::Null | Input::Undefined, _) => Val::Null,
        (Input::Number(n), Kind::Number | Kind::Date) if n.is_finite() => Val::Num(*n),
        (Input::Date(ms), Kind::Date) if ms.is_finite() => Val::Num(*ms),
        (Input::String(s), Kind::Date) => match time::parse_iso(s) {
            Some(ms) => Val::Num(ms as f64),
            None => {
                c.fail(path, Reason::InvalidDate, format!("must be a Date or an ISO-8601 date (got {})", v.describe()));
                Val::Null
            }
        },
        (Input::String(s), Kind::Id) => Val::Str(s.to_ascii_lowercase()),
        (Input::String(s), Kind::Text | Kind::Enum) => Val::Str(s.clone()),
        (Input::Bool(b), Kind::Bool) => Val::Bool(*b),
        (other, kind) => {
            let want = match kind {
                Kind::Date => "a Date, an ISO-8601 date or epoch milliseconds",
                Kind::Number => "a finite number",
                Kind::Bool => "true or false",
                _ => "a string",
            };
            c.fail(path, Reason::WrongType, format!("must be {want} (got {})", other.describe()));
            Val::Null
        }
    }
}

fn condition(c: &mut Check, path: &str, field: usize, specs: &[FieldSpec], value: &Input) -> Filter {
    let Some(spec) = specs.get(field) else { return Filter::EVERYTHING };
    let Input::Object(ops) = value else {
        return Filter::Cmp(field, Op::Eq, vec![operand(c, path, spec, value)]);
    };
    if ops.is_empty() || !ops.iter().all(|(k, _)| k.starts_with('$')) {
        c.fail(path, Reason::InvalidFilter, "must be a value or an object of operators such as { $gt: 5 }");
        return Filter::EVERYTHING;
    }
    let mut all = Vec::new();
    for (name, arg) in ops {
        let p = format!("{path}.{name}");
        let op = match name.as_str() {
            "$eq" => Op::Eq,
            "$ne" => Op::Ne,
            "$lt" => Op::Lt,
            "$lte" => Op::Lte,
            "$gt" => Op::Gt,
            "$gte" => Op::Gte,
            "$in" | "$hasSome" => Op::In,
            "$nin" => Op::Nin,
            "$hasAll" => Op::HasAll,
            "$exists" => Op::Exists,
            "$startsWith" => Op::StartsWith,
            "$endsWith" => Op::EndsWith,
            "$contains" => Op::Contains,
            _ => {
                c.fail(&p, Reason::UnsupportedOperator, format!("is not a supported operator ({OPERATORS})"));
                continue;
            }
        };
        let (range, text) = (
            matches!(op, Op::Lt | Op::Lte | Op::Gt | Op::Gte),
            matches!(op, Op::StartsWith | Op::EndsWith | Op::Contains),
        );
        if (range && !spec.ops.range) || (text && !spec.ops.text) {
            c.fail(&p, Reason::UnsupportedOperator, format!("does not apply to {}", spec.name()));
            continue;
        }
        let vals = match (op, arg) {
            (Op::In | Op::Nin | Op::HasAll, Input::Array(items)) => {
                items.iter().enumerate().map(|(i, v)| operand(c, &format!("{p}[{i}]"), spec, v)).collect()
            }
            (Op::In | Op::Nin | Op::HasAll, other) => {
                c.fail(&p, Reason::WrongType, format!("must be an array (got {})", other.describe()));
                continue;
            }
            (Op::Exists, Input::Bool(b)) => vec![Val::Bool(*b)],
            (Op::Exists, other) => {
                c.fail(&p, Reason::WrongType, format!("must be true or false (got {})", other.describe()));
                continue;
            }
            (_, Input::String(s)) if text => vec![Val::Str(s.to_ascii_lowercase())],
            (_, other) if text => {
                c.fail(&p, Reason::WrongType, format!("must be a string (got {})", other.describe()));
                continue;
            }
            (_, v) if range && v.is_absent() => {
                c.fail(&p, Reason::WrongType, "must not be null");
                continue;
            }
            (_, v) => vec![operand(c, &p, spec, v)],
        };
        all.push(Filter::Cmp(field, op, vals));
    }
    match all.len() {
        1 => all.pop().unwrap_or(Filter::EVERYTHING),
        _ => Filter::All(all),
    }
}

/// Orders two values of one field: `null` first, then by value.
pub fn compare(a: &Val, b: &Val) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Val::Null, Val::Null) => Equal,
        (Val::Null, _) => Less,
        (_, Val::Null) => Greater,
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y).unwrap_or(Equal),
        (Val::Str(x), Val::Str(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Num(_), _) => Less,
        (_, Val::Num(_)) => Greater,
        (Val::Bool(_), _) => Less,
        (_, Val::Bool(_)) => Greater,
    }
}

fn equal(actual: &Val, expected: &Val, kind: Kind) -> bool {
    match (actual, expected) {
        (Val::Str(a), Val::Str(b)) if kind == Kind::Id => a.eq_ignore_ascii_case(b),
        (a, b) => compare(a, b) == std::cmp::Ordering::Equal && std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn lower(v: &Val) -> Option<String> {
    match v {
        Val::Str(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

/// Whether `entity` (with fields `specs`) passes `filter`.
pub fn matches(filter: &Filter, entity: &dyn Fields, specs: &[FieldSpec]) -> bool {
    use std::cmp::Ordering::*;
    match filter {
        Filter::All(parts) => parts.iter().all(|f| matches(f, entity, specs)),
        Filter::Any(parts) => parts.iter().any(|f| matches(f, entity, specs)),
        Filter::Not(inner) => !matches(inner, entity, specs),
        Filter::Text { fields, words, all } => {
            let texts: Vec<String> = fields.iter().filter_map(|f| lower(&entity.value(*f))).collect();
            let found = |w: &String| texts.iter().any(|t| contains(t, w));
            if *all {
                words.iter().all(found)
            } else {
                words.iter().any(found)
            }
        }
        Filter::Cmp(field, op, vals) => {
            let kind = specs.get(*field).map_or(Kind::Text, |s| s.kind);
            let actual = entity.value(*field);
            let first = vals.first().unwrap_or(&Val::Null);
            let present = actual != Val::Null;
            match op {
                Op::Eq => equal(&actual, first, kind),
                Op::Ne => !equal(&actual, first, kind),
                Op::Lt => present && compare(&actual, first) == Less,
                Op::Lte => present && compare(&actual, first) != Greater,
                Op::Gt => present && compare(&actual, first) == Greater,
                Op::Gte => present && compare(&actual, first) != Less,
                Op::In => vals.iter().any(|v| equal(&actual, v, kind)),
                Op::Nin => !vals.iter().any(|v| equal(&actual, v, kind)),
                Op::HasAll => !vals.is_empty() && vals.iter().all(|v| equal(&actual, v, kind)),
                Op::Exists => present == (*first == Val::Bool(true)),
                Op::StartsWith | Op::EndsWith | Op::Contains => match (lower(&actual), first) {
                    (Some(a), Val::Str(b)) => match op {
                        Op::StartsWith => a.starts_with(b.as_str()),
                        Op::EndsWith => a.ends_with(b.as_str()),
                        _ => contains(&a, b.as_str()),
                    },
                    _ => false,
                },
            }
        }
    }
}
