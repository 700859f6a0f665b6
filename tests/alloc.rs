//! The module's allocator (`wix_loyalty_wasm::alloc`), natively, over a buffer standing in for
//! linear memory: random sequences of allocations (sizes across the small and large classes,
//! and blocks of pages), reallocations and frees. Every block must be aligned, inside the
//! memory, apart from every other live block, and keep what was written into it (each block is
//! filled with its own byte and checked before it is freed or moved); a reallocated block keeps
//! its contents; freed blocks are used again, so allocating what was freed grows no memory.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use wix_loyalty_wasm::alloc::{Classes, Pages, PAGE, STEP};

/// Pages handed out in order from one buffer, as `memory.grow` hands out linear memory.
struct Buffer {
    base: usize,
    pages: usize,
    /// Pages handed out (shared with the test, which watches the allocator grow).
    used: Rc<Cell<usize>>,
}

const BUFFER_PAGES: usize = 2048;

impl Buffer {
    fn new() -> Self {
        let layout = Layout::from_size_align(BUFFER_PAGES * PAGE, PAGE).unwrap();
        // SAFETY: a non-zero size; freed in `drop` with the same layout.
        let base = unsafe { std::alloc::alloc_zeroed(layout) } as usize;
        assert_ne!(base, 0);
        Buffer { base, pages: BUFFER_PAGES, used: Rc::default() }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let layout = Layout::from_size_align(BUFFER_PAGES * PAGE, PAGE).unwrap();
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.base as *mut u8, layout) };
    }
}

// SAFETY: each page is handed out once, from a buffer this test owns and only the allocator uses.
unsafe impl Pages for Buffer {
    fn grow(&mut self, n: usize) -> Option<usize> {
        let used = self.used.get();
        if used + n > self.pages {
            return None;
        }
        self.used.set(used + n);
        Some(self.base + used * PAGE)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Alloc {
        size: usize,
        align: usize,
    },
    /// Frees the live block at this index (modulo the live count).
    Free(usize),
    Realloc(usize, usize),
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        8 => 1usize..=1100,          // small classes, and just past them
        3 => 1000usize..70_000,      // large classes up to a page and past it
        1 => 60_000usize..300_000,   // blocks of pages
        1 => prop::sample::select(vec![1usize, 15, 16, 17, 1024, 1025, 2048, 2049, PAGE - 1, PAGE, PAGE + 1]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (size(), prop::sample::select(vec![1usize, 2, 4, 8, 16])).prop_map(|(size, align)| Op::Alloc { size, align }),
        3 => any::<usize>().prop_map(Op::Free),
        2 => (any::<usize>(), size()).prop_map(|(i, s)| Op::Realloc(i, s)),
    ]
}

/// A live block: its layout and the byte it is filled with.
struct Live {
    layout: Layout,
    fill: u8,
}

struct Heap {
    classes: Classes<Buffer>,
    /// Where the buffer starts.
    base: usize,
    /// Live blocks by address.
    live: BTreeMap<usize, Live>,
    fills: u8,
}

impl Heap {
    /// Checks that `[at, at + size)` is aligned and overlaps no live block, then fills it.
    fn place(&mut self, at: usize, layout: Layout) -> Result<(), TestCaseError> {
        prop_assert_ne!(at, 0, "out of memory for {:?}", layout);
        prop_assert_eq!(at % STEP, 0, "block {:#x} is not {}-aligned", at, STEP);
        prop_assert_eq!(at % layout.align(), 0);
        let end = at + layout.size();
        prop_assert!(
            at >= self.base && end <= self.base + BUFFER_PAGES * PAGE,
            "block {:#x} is outside the memory",
            at
        );
        if let Some((&before, b)) = self.live.range(..=at).next_back() {
            prop_assert!(before + b.layout.size() <= at, "block {:#x} overlaps the one at {:#x}", at, before);
        }
        if let Some((&after, _)) = self.live.range(at..).next() {
            prop_assert!(end <= after, "block {:#x}+{} overlaps the one at {:#x}", at, layout.size(), after);
        }
        self.fills = self.fills.wrapping_add(1).max(1);
        // SAFETY: the block is `layout.size()` bytes handed out by the allocator.
        unsafe { std::ptr::write_bytes(at as *mut u8, self.fills, layout.size()) };
        self.live.insert(at, Live { layout, fill: self.fills });
        Ok(())
    }

    /// Checks that the block at `at` still holds its fill, and forgets it.
    fn take(&mut self, at: usize) -> Result<Live, TestCaseError> {
        let block = self.live.remove(&at).unwrap();
        // SAFETY: a live block of this size.
        let bytes = unsafe { std::slice::from_raw_parts(at as *const u8, block.layout.size()) };
        prop_assert!(bytes.iter().all(|&b| b == block.fill), "block {:#x} was written by someone else", at);
        Ok(block)
    }

    fn nth(&self, i: usize) -> Option<usize> {
        (!self.live.is_empty()).then(|| *self.live.keys().nth(i % self.live.len()).unwrap())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Alloc { size, align } => {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a non-zero size.
                let at = unsafe { self.classes.alloc(layout) } as usize;
                self.place(at, layout)?;
            }
            Op::Free(i) => {
                if let Some(at) = self.nth(i) {
                    let block = self.take(at)?;
                    // SAFETY: allocated with this layout, freed once.
                    unsafe { self.classes.dealloc(at as *mut u8, block.layout) };
                }
            }
            Op::Realloc(i, size) => {
                if let Some(at) = self.nth(i) {
                    let block = self.take(at)?;
                    // SAFETY: allocated with this layout; a non-zero new size.
                    let moved = unsafe { self.classes.realloc(at as *mut u8, block.layout, size) } as usize;
                    prop_assert_ne!(moved, 0);
                    let kept = block.layout.size().min(size);
                    // SAFETY: the new block has at least `size` bytes.
                    let bytes = unsafe { std::slice::from_raw_parts(moved as *const u8, kept) };
                    prop_assert!(bytes.iter().all(|&b| b == block.fill), "realloc lost the contents of {:#x}", at);
                    self.place(moved, Layout::from_size_align(size, block.layout.align()).unwrap())?;
                }
            }
        }
        Ok(())
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let buffer = Buffer::new();
    let used = Rc::clone(&buffer.used);
    let base = buffer.base;
    let mut heap = Heap { classes: Classes::new(buffer), base, live: BTreeMap::new(), fills: 0 };
    for op in &ops {
        heap.apply(op)?;
    }
    // Free everything, then allocate the same layouts again: the freed blocks are enough.
    let layouts: Vec<Layout> = heap.live.values().map(|b| b.layout).collect();
    for at in heap.live.keys().copied().collect::<Vec<_>>() {
        let block = heap.take(at)?;
        // SAFETY: as in `apply`.
        unsafe { heap.classes.dealloc(at as *mut u8, block.layout) };
    }
    let grown = used.get();
    for layout in layouts {
        // SAFETY: a non-zero size.
        let at = unsafe { heap.classes.alloc(layout) } as usize;
        heap.place(at, layout)?;
    }
    prop_assert_eq!(used.get(), grown, "allocating what was freed grew the memory");
    Ok(())
}

#[test]
fn blocks_are_aligned_apart_and_kept() {
    let cases = std::env::var("ALLOC_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 2048, ..Config::default() });
    runner.run(&prop::collection::vec(op(), 1..200), run).unwrap();
}

#[test]
fn alignments_past_a_step_and_sizes_past_the_memory_are_refused() {
    let classes = Classes::new(Buffer::new());
    // SAFETY: non-zero sizes; a null answer is checked, nothing is written.
    unsafe {
        assert!(classes.alloc(Layout::from_size_align(64, 32).unwrap()).is_null());
        assert!(classes.alloc(Layout::from_size_align(BUFFER_PAGES * PAGE + 1, 8).unwrap()).is_null());
        // The allocator still works afterwards.
        assert!(!classes.alloc(Layout::from_size_align(64, 16).unwrap()).is_null());
    }
}
