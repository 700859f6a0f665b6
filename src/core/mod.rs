//! The pure core: no JS, no I/O. Every operation is a step machine (see [`machine`]): the
//! caller starts it with validated input, feeds it what storage returned, and receives the next
//! I/O request, or the writes to commit together with the result and the events.

pub mod account;
pub mod driver;
pub mod error;
pub mod input;
pub mod keys;
pub mod machine;
pub mod model;
pub mod program;
pub mod query;
pub mod time;
pub mod validate;
pub mod verify;
pub mod view;
