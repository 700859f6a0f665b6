//! The pure core: no JS, no I/O. Every operation is a step machine (see [`protocol`]): the
//! host starts it with the call's arguments, feeds it what storage returned, and receives the
//! next I/O request, or the writes to commit together with the result and the events.
//!
//! Modules depend one way, down this list and never back (a test checks it):
//!
//! | layer | modules | what |
//! |---|---|---|
//! | base | [`reason`], [`error`], [`input`], [`validate`], [`time`], [`small`] | error reasons and errors, JS-like values, argument checks, instants, small helpers |
//! | protocol | [`protocol`], [`attempts`] | the step machine's requests and answers; the retry policy of conflicting commits |
//! | records | [`records`] | entities as stored, their keys and public views |
//! | query | [`query`] | cursors, filters, sorting, paging, scans |
//! | rules | [`rules`] | what several operations share: the ledger, tiers, expiration, reward availability, lookups, events |
//! | operations | [`ops`], [`verify`] | one file per operation (or small family); the store audit |
//! | table | [`operations`] | the one table of operations, and dispatch |
//! | hosts | [`driver`] | the native driver for tests (the wasm face is `crate::wasm`) |

pub mod attempts;
#[cfg(not(target_arch = "wasm32"))]
pub mod driver;
pub mod error;
pub mod input;
pub mod operations;
pub mod ops;
pub mod protocol;
pub mod query;
pub mod reason;
pub mod records;
pub mod rules;
pub mod small;
pub mod time;
pub mod validate;
pub mod verify;
