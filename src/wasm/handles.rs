//! The states of the operations in flight, by handle. A state never crosses the boundary, so
//! it is neither serialized nor parsed on each step.
//!
//! A handle is `slot + serial × 2^20`: the slot indexes the table, the serial is drawn afresh
//! (from a counter that repeats only after 2^33 operations) each time a slot is taken. So a
//! handle kept after its operation was released can never name a later operation that reuses
//! the slot. A trap discards the instance and with it this table; the JS face then restarts the
//! operations that were in flight.

use std::cell::RefCell;

use crate::core::protocol::Machine;

const SLOT_BITS: f64 = 1_048_576.0; // 2^20
/// Slots at most (operations in flight at once).
const MAX_SLOTS: usize = 1 << 20;
/// Serials fit 2^33 so that a handle stays an exact JS number (< 2^53).
const MAX_SERIAL: u64 = 1 << 33;

struct Slot {
    serial: u64,
    /// `None` while the state is out (being resumed) or once released.
    state: Option<Box<dyn Machine>>,
    live: bool,
}

#[derive(Default)]
struct Table {
    slots: Vec<Slot>,
    free: Vec<usize>,
    serial: u64,
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

fn decode(h: f64) -> Option<(usize, u64)> {
    if !(h.is_finite() && h >= 0.0 && h.fract() == 0.0) {
        return None;
    }
    let slot = (h % SLOT_BITS) as usize;
    let serial = (h / SLOT_BITS).floor() as u64;
    Some((slot, serial))
}

/// Holds a new operation's state; `None` when the table is full.
pub fn hold(state: Box<dyn Machine>) -> Option<f64> {
    TABLE.with_borrow_mut(|t| {
        t.serial = (t.serial + 1) % MAX_SERIAL;
        let serial = t.serial;
        let slot = match t.free.pop() {
            Some(i) => i,
            None if t.slots.len() < MAX_SLOTS => {
                t.slots.push(Slot { serial, state: None, live: false });
                t.slots.len() - 1
            }
            None => return None,
        };
        let entry = t.slots.get_mut(slot)?;
        *entry = Slot { serial, state: Some(state), live: true };
        Some(slot as f64 + serial as f64 * SLOT_BITS)
    })
}

/// Takes the state of operation `h` out to resume it (put it back with [`put_back`]).
pub fn take(h: f64) -> Option<Box<dyn Machine>> {
    let (slot, serial) = decode(h)?;
    TABLE.with_borrow_mut(|t| t.slots.get_mut(slot).filter(|s| s.live && s.serial == serial)?.state.take())
}

pub fn put_back(h: f64, state: Box<dyn Machine>) {
    let Some((slot, serial)) = decode(h) else { return };
    TABLE.with_borrow_mut(|t| {
        if let Some(s) = t.slots.get_mut(slot).filter(|s| s.live && s.serial == serial) {
            s.state = Some(state);
        }
    });
}

/// Forgets operation `h`; releasing an unknown or released handle does nothing.
pub fn release(h: f64) {
    let Some((slot, serial)) = decode(h) else { return };
    TABLE.with_borrow_mut(|t| {
        if let Some(s) = t.slots.get_mut(slot).filter(|s| s.live && s.serial == serial) {
            s.live = false;
            s.state = None;
            t.free.push(slot);
        }
    });
}

/// Operations held and not released.
pub fn in_flight() -> u32 {
    TABLE.with_borrow(|t| t.slots.iter().filter(|s| s.live).count() as u32)
}
