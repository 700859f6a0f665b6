//! wix-loyalty-wasm: a loyalty-points engine that speaks the Wix Loyalty API.
//!
//! * [`core`] is pure Rust: entities, validation, the rules of every operation and the
//!   storage layout. It never names wasm-bindgen or js-sys, so it builds and tests natively.
//! * `wasm` (wasm32 only) is the thin JS face: it converts JS values into [`core::input::Input`],
//!   calls the core's step machine and converts the answer back.
//! * [`store`] is the default store and [`alloc`] the module's allocator: pure Rust too, with
//!   native tests of their own; the wasm face only installs and exports them.
//!
//! The I/O loop itself (awaiting the host's storage) lives in the hand-written JS face
//! (`js/runner.js`, assembled by `js/engine.js`): every wasm export is synchronous, so no promise ever waits on a trap and
//! no Rust borrow is ever held across an `await`.

pub mod alloc;
pub mod core;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
