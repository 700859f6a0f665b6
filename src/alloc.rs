//! The module's allocator: blocks by size class, on memory the module grows itself. Generic over
//! where its pages come from ([`Pages`]): the wasm build installs it over the module's linear
//! memory (`src/wasm/mod.rs`); native tests run it over a buffer (`tests/alloc.rs`: random
//! allocate, grow and free sequences).
//!
//! An operation allocates a few dozen small blocks (keys, records, answers) and frees most of
//! them before it returns, while a growing store keeps most of what it allocates; through
//! dlmalloc that was about a seventh of an adjustment's time, and dlmalloc is kilobytes of the
//! module. Here a block of up to [`SMALL`] bytes is rounded up to a multiple of [`STEP`] bytes,
//! a larger one to a power of two; each such class has a free list. A block is taken from its
//! class's list when one is there, else carved from the current region (regions are taken from
//! `memory.grow`, larger as the heap grows, so the JS engine replaces its view of the memory
//! only a logarithmic number of times), and blocks of a page or more are grown directly. A freed
//! block goes back on its class's list: a few instructions each way. Nothing is ever given back
//! (wasm memory cannot shrink) or merged: a class holds at most what it had live at its peak,
//! and large blocks, mostly vectors that double, waste at most half of themselves.
//!
//! Every block is [`STEP`]-aligned; larger alignments are refused (nothing here asks for one).
//! The module is single-threaded (wasm32 without threads), so the lists need no locking; a
//! [`Classes`] is `Sync` only over pages that say so ([`SingleThreaded`]).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;

/// The largest block of a small class.
pub const SMALL: usize = 1024;
/// Small class granularity, and the alignment of every block.
pub const STEP: usize = 16;
const SMALL_CLASSES: usize = SMALL / STEP;
/// Large classes: powers of two from 2 KiB to 2 GiB.
const LARGE_CLASSES: usize = 21;
pub const PAGE: usize = 65536;
/// The largest region taken at once, in pages (16 MiB).
const MAX_REGION: usize = 256;

/// Where the allocator's memory comes from.
///
/// # Safety
/// `grow` hands out memory the allocator then owns: `n` pages at the address it answers must be
/// readable and writable, aligned to [`STEP`], reachable by nothing else, and never handed out
/// again. It must not allocate through the allocator it feeds (the allocator's state is borrowed
/// while it runs).
pub unsafe trait Pages {
    /// `n` more pages of [`PAGE`] bytes: the address of the first, or `None` when there is no
    /// more memory.
    fn grow(&mut self, n: usize) -> Option<usize>;
}

/// Pages that are only ever reached from one thread.
///
/// # Safety
/// Implement only where no two threads can use the allocator at once.
pub unsafe trait SingleThreaded: Pages {}

struct State<P> {
    pages_from: P,
    /// Per class, the first free block (0: none); a free block holds the address of the next.
    free: [usize; SMALL_CLASSES + LARGE_CLASSES],
    /// The unused rest of the current region: (start, end) addresses.
    start: usize,
    end: usize,
    /// Pages grown so far.
    pages: usize,
}

pub struct Classes<P>(UnsafeCell<State<P>>);

// SAFETY: `SingleThreaded` pages promise that nothing reaches the state concurrently.
unsafe impl<P: SingleThreaded> Sync for Classes<P> {}

impl<P> Classes<P> {
    /// An allocator that takes its pages from `pages`.
    pub const fn new(pages: P) -> Self {
        Classes(UnsafeCell::new(State {
            pages_from: pages,
            free: [0; SMALL_CLASSES + LARGE_CLASSES],
            start: 0,
            end: 0,
            pages: 0,
        }))
    }
}

/// The class of a block for `layout` and the bytes such a block has; `None` when none fits.
fn class(layout: Layout) -> Option<(usize, usize)> {
    if layout.align() > STEP {
        return None;
    }
    let size = layout.size();
    if size <= SMALL {
        let k = size.saturating_sub(1) / STEP;
        return Some((k, (k + 1) * STEP));
    }
    let bytes = size.checked_next_power_of_two()?;
    let k = SMALL_CLASSES + (bytes.trailing_zeros() as usize).checked_sub(11)?;
    (k < SMALL_CLASSES + LARGE_CLASSES).then_some((k, bytes))
}

impl<P: Pages> State<P> {
    /// `pages` more pages of memory: the address of the first, or 0.
    fn grow(&mut self, pages: usize) -> usize {
        match self.pages_from.grow(pages) {
            None => 0,
            Some(at) => {
                self.pages += pages;
                at
            }
        }
    }

    /// A new block of `bytes` (a multiple of STEP below a page) from the current region, taking
    /// a new region when it has too little left (the rest of the old one is left unused).
    fn carve(&mut self, bytes: usize) -> usize {
        if self.end - self.start < bytes {
            let pages = (self.pages / 8).clamp(1, MAX_REGION);
            let region = self.grow(pages);
            if region == 0 {
                return 0;
            }
            self.start = region;
            // The last region of a full 4 GiB wasm32 memory ends at 2^32, one past the largest
            // address: its end is kept one byte short (saturating), never wrapped to 0.
            self.end = region.saturating_add(pages * PAGE);
        }
        let block = self.start;
        self.start += bytes;
        block
    }
}

unsafe impl<P: Pages> GlobalAlloc for Classes<P> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((k, bytes)) = class(layout) else {
            return std::ptr::null_mut();
        };
        // SAFETY: single-threaded (`Sync` needs `SingleThreaded`; otherwise the caller holds the
        // allocator alone), and no reference to the state outlives this call.
        let state = &mut *self.0.get();
        if let Some(head) = state.free.get_mut(k).filter(|head| **head != 0) {
            let block = *head as *mut u8;
            // A free block's first word is the next free block (written by `dealloc`).
            *head = block.cast::<usize>().read();
            return block;
        }
        let block = if bytes >= PAGE { state.grow(bytes / PAGE) } else { state.carve(bytes) };
        block as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`; the block came from `alloc` with this layout, so it has this
        // class, is STEP-aligned and at least STEP bytes: its first word can hold the link.
        let state = &mut *self.0.get();
        if let Some(head) = class(layout).and_then(|(k, _)| state.free.get_mut(k)) {
            ptr.cast::<usize>().write(*head);
            *head = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align_unchecked(new_size, layout.align());
        if let (Some((k, _)), Some((j, _))) = (class(layout), class(new)) {
            if k == j {
                // The block already has room for the new size.
                return ptr;
            }
        }
        let block = self.alloc(new);
        if !block.is_null() {
            std::ptr::copy_nonoverlapping(ptr, block, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        block
    }
}

/// The linear memory of a wasm module: pages from `memory.grow`.
#[cfg(target_arch = "wasm32")]
pub struct LinearMemory;

// SAFETY: `memory.grow` hands out fresh pages of the module's own memory, page-aligned, once.
#[cfg(target_arch = "wasm32")]
unsafe impl Pages for LinearMemory {
    fn grow(&mut self, n: usize) -> Option<usize> {
        match core::arch::wasm32::memory_grow(0, n) {
            usize::MAX => None,
            old => Some(old * PAGE),
        }
    }
}

// SAFETY: a wasm32 module built without the atomics feature runs on one thread.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl SingleThreaded for LinearMemory {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages at the very top of the address space, as the last region of a full wasm32 memory.
    struct Top;

    // SAFETY: the test only carves (no block is ever written).
    unsafe impl Pages for Top {
        fn grow(&mut self, n: usize) -> Option<usize> {
            Some(usize::MAX - (n * PAGE - 1))
        }
    }

    #[test]
    fn a_region_that_ends_at_the_top_of_memory_is_carved_without_overflow() {
        let mut state = State { pages_from: Top, free: [0; SMALL_CLASSES + LARGE_CLASSES], start: 0, end: 0, pages: 0 };
        let first = state.carve(64);
        assert_eq!(first, usize::MAX - (PAGE - 1));
        assert_eq!(state.carve(64), first + 64);
        assert_eq!(state.end, usize::MAX);
    }
}
