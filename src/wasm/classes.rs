//! The module's allocator: small blocks from free lists by size class, in front of the
//! standard allocator (dlmalloc on wasm32).
//!
//! An operation allocates a few dozen small blocks (keys, records, answers) and frees most of
//! them before it returns; through dlmalloc alone that was about a seventh of an adjustment's
//! time. Here a block of up to [`SMALL`] bytes is rounded up to its class (a multiple of
//! [`STEP`] bytes), taken from that class's free list when one is there, else carved from a
//! [`REGION`] taken from dlmalloc in one piece (a growing store keeps most of what it
//! allocates, so new blocks are as common as reused ones), and put back on its list when
//! freed: a few instructions each way. A class's list never gives memory back to
//! dlmalloc, so it holds at most what that class had live at its peak; larger blocks go to
//! dlmalloc unchanged. The module is single-threaded (wasm32 without threads), so the lists
//! need no locking.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;

/// The largest block served from a class list.
const SMALL: usize = 1024;
/// Class granularity; also the alignment every class block has (dlmalloc's on wasm32).
const STEP: usize = 8;
const CLASSES: usize = SMALL / STEP;

/// Bytes taken from dlmalloc at a time to carve new small blocks from.
const REGION: usize = 64 << 10;

pub struct Classes {
    /// Per class, the first free block (0: none); a free block holds the address of the next.
    free: UnsafeCell<[usize; CLASSES]>,
    /// The unused rest of the current region: (start, end) addresses.
    region: UnsafeCell<(usize, usize)>,
}

// SAFETY: wasm32 here runs one thread; nothing else can reach the lists concurrently.
unsafe impl Sync for Classes {}

#[global_allocator]
static ALLOCATOR: Classes = Classes { free: UnsafeCell::new([0; CLASSES]), region: UnsafeCell::new((0, 0)) };

/// The class of a block of `size` bytes at `align`, if it is small enough for one.
fn class(size: usize, align: usize) -> Option<usize> {
    (size <= SMALL && align <= STEP).then(|| size.saturating_sub(1) / STEP)
}

impl Classes {
    /// A new block of `size` bytes (a multiple of STEP, at most SMALL) from the current region,
    /// taking a new region from dlmalloc when this one is used up (its rest, under SMALL bytes,
    /// is left unused).
    unsafe fn carve(&self, size: usize) -> *mut u8 {
        // SAFETY: single-threaded, as for the lists.
        let (start, end) = &mut *self.region.get();
        if *end - *start < size {
            let region = System.alloc(Layout::from_size_align_unchecked(REGION, STEP));
            if region.is_null() {
                return region;
            }
            *start = region as usize;
            *end = *start + REGION;
        }
        let block = *start as *mut u8;
        *start += size;
        block
    }
}

unsafe impl GlobalAlloc for Classes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(k) = class(layout.size(), layout.align()) else {
            return System.alloc(layout);
        };
        // SAFETY: single-threaded (see above), and no reference to the lists outlives this call.
        let free = &mut *self.free.get();
        match free.get_mut(k) {
            Some(head) if *head != 0 => {
                let block = *head as *mut u8;
                // A free block's first word is the next free block (written by `dealloc`).
                *head = block.cast::<usize>().read();
                block
            }
            _ => self.carve((k + 1) * STEP),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(k) = class(layout.size(), layout.align()) else {
            return System.dealloc(ptr, layout);
        };
        // SAFETY: as in `alloc`; the block is at least STEP bytes and STEP-aligned (it came
        // from this class), so its first word can hold the link.
        let free = &mut *self.free.get();
        if let Some(head) = free.get_mut(k) {
            ptr.cast::<usize>().write(*head);
            *head = ptr as usize;
        }
    }
}
