//! The rules several operations share, apart from the operations ([`crate::core::ops`]) that
//! apply them: [`ledger`] (how points move and are recorded), [`tiering`] (tier points per month
//! and the tier they give), [`expiry`] (when points expire and the scheduled work looks again),
//! [`availability`] (whether a balance affords a reward), [`lookup`] (reading the program and
//! accounts, remembered by their text) and [`events`] (the events a change announces). A rule
//! uses records and other rules, never an operation.

pub mod availability;
pub mod events;
pub mod expiry;
pub mod ledger;
pub mod lookup;
pub mod tiering;
