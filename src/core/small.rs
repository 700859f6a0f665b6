//! Small stand-ins for general std machinery, so the wasm module does not carry the general
//! version for the few short lists the engine orders (field violations, lock keys).

/// Sorts a short list by `key`, stably: an insertion sort.
pub fn sort_small<T, K: Ord + ?Sized>(items: &mut [T], key: impl Fn(&T) -> &K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && items.get(j - 1).zip(items.get(j)).is_some_and(|(a, b)| key(a) > key(b)) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Whether `needle` occurs in `hay`: a plain search (the texts searched are short), so the
/// module does not carry the general two-way string searcher.
pub fn contains(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    needle.is_empty() || hay.windows(needle.len()).any(|w| byte_order(w, needle).is_eq())
}

/// Byte order of two byte strings, eight bytes at a step: keys share long prefixes
/// (`ledger-time/…/`), the byte-at-a-time `memcmp` of wasm32 made comparisons a tenth of an
/// adjustment's time, and at the size-optimized build's inlining threshold the safe ways of
/// taking eight bytes stay calls.
pub fn byte_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: `i + 8 <= n`, and `n` is at most the length of either slice, so both reads are
        // of eight bytes inside their slice; `read_unaligned` needs no alignment.
        let (x, y) = unsafe {
            (a.as_ptr().add(i).cast::<u64>().read_unaligned(), b.as_ptr().add(i).cast::<u64>().read_unaligned())
        };
        if x != y {
            return u64::from_be(x).cmp(&u64::from_be(y));
        }
        i += 8;
    }
    a.get(i..).cmp(&b.get(i..))
}

#[cfg(test)]
mod tests {
    #[test]
    fn contains_finds_substrings() {
        for (hay, needle) in [
            ("", ""),
            ("abc", ""),
            ("abc", "abc"),
            ("xxabcxx", "abc"),
            ("ab", "abc"),
            ("aab", "ab"),
            ("héllo", "él"),
            ("abc", "d"),
        ] {
            assert_eq!(super::contains(hay, needle), hay.contains(needle), "{hay:?} ∋ {needle:?}");
        }
    }

    #[test]
    fn byte_order_is_slice_order() {
        let words: [&[u8]; 9] = [
            b"",
            b"a",
            b"ab",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefgi",
            b"abcdefghabcdefgh",
            b"\xff",
            b"ledger-time/1/x",
        ];
        for a in words {
            for b in words {
                assert_eq!(super::byte_order(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn sorts_stably() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        super::sort_small(&mut items, |p| &p.0);
        assert_eq!(items, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }
}
