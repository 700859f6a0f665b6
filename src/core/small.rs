//! Small helpers the hot paths share: decimal printing, key order and text comparison eight bytes
//! at a step (wasm32's `memcmp` goes a byte at a time), a hash for the caches' slots.

/// Writes `n` in decimal at the end of `digits`; where the digits start.
pub fn decimal(digits: &mut [u8; 20], n: u64) -> usize {
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            return at;
        }
    }
}

/// `n` in decimal, without the 128-bit formatter (a kilobyte and a half of the module): the
/// magnitude is divided by 10^9 limb by limb in 64-bit arithmetic.
pub fn wide(n: i128) -> String {
    let mut m = n.unsigned_abs();
    let mut groups = Vec::new(); // base-10^9 digits, least significant first
    loop {
        let mut rem = 0u64;
        let mut q = 0u128;
        for shift in [96u32, 64, 32, 0] {
            let cur = (rem << 32) | ((m >> shift) as u64 & 0xffff_ffff);
            q |= u128::from(cur / 1_000_000_000) << shift;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem);
        m = q;
        if m == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(groups.len() * 9 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, g) in groups.iter().rev().enumerate() {
        // Every group but the first is nine digits, zero-padded.
        push_decimal(&mut out, *g, if i == 0 { 0 } else { 9 });
    }
    out
}

/// A non-empty run of ASCII digits as a number (`None`: anything else, or too large), without
/// the general integer parser.
pub fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, d| {
        if d.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

/// Appends `n` in decimal, zero-padded to `width` digits (at most 20), without `core::fmt`,
/// which the size-optimized build runs slowly.
pub fn push_decimal(out: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let at = decimal(&mut digits, n).min(20 - width.min(20));
    out.push_str(std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
}

/// Length of `s` in UTF-16 code units (how JS measures and slices strings): one per UTF-8
/// lead byte, two for a four-byte character.
pub fn utf16_len(s: &str) -> usize {
    s.bytes().map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0)).sum()
}

/// The first index from `from` of a byte that JSON cannot hold bare inside a string (`"`, `\\`,
/// a control character), or the length: eight bytes at a step, since most strings have none.
pub fn find_special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = from;
    while i + 8 <= bytes.len() {
        // SAFETY: `i + 8 <= bytes.len()`: the eight bytes read are inside the slice.
        let w = unsafe { bytes.as_ptr().add(i).cast::<u64>().read_unaligned() };
        // A byte below 0x20, or equal to `"` or `\`, anywhere in the word.
        if (w.wrapping_sub(ONES * 0x20) & !w & HIGH) | zero_in(w ^ (ONES * 0x22)) | zero_in(w ^ (ONES * 0x5c)) != 0 {
            break;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b < 0x20 || b == b'"' || b == b'\\' {
            return i;
        }
        i += 1;
    }
    bytes.len()
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

/// Whether two texts are the same, eight bytes at a step (the caches of decoded records match
/// a stored text against the one they decoded).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && byte_order(a.as_bytes(), b.as_bytes()).is_eq()
}

/// A hash of a byte string: eight bytes at a step, multiplied in; the high half of the
/// product is well mixed, and callers take their slot from it.
pub fn hash(bytes: &[u8]) -> u32 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w.try_into().unwrap_or_default())).wrapping_mul(K);
    }
    for &b in words.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    (h >> 32) as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_writes_every_digit_count() {
        let mut cases = vec![0u64, 5, u64::MAX, u64::MAX - 1, 1_795_852_882_608, 1_234_567_890_123_456_789];
        let mut p = 1u64;
        while let Some(next) = p.checked_mul(10) {
            cases.extend([p - 1, p, p + 1, next / 2 + 7]);
            p = next;
        }
        for n in cases {
            let mut digits = [b'x'; 20];
            let at = super::decimal(&mut digits, n);
            assert_eq!(std::str::from_utf8(&digits[at..]).unwrap(), n.to_string());
            let mut padded = String::new();
            super::push_decimal(&mut padded, n, 20);
            assert_eq!(padded, format!("{n:020}"));
        }
    }

    #[test]
    fn wide_prints_as_display_does() {
        for n in [
            0i128,
            1,
            -1,
            9,
            10,
            999_999_999,
            1_000_000_000,
            -1_000_000_001,
            i64::MAX.into(),
            i64::MIN.into(),
            u64::MAX.into(),
            10i128.pow(20),
            i128::MAX,
            i128::MIN,
            i128::MIN + 1,
        ] {
            assert_eq!(super::wide(n), n.to_string());
        }
    }

    #[test]
    fn parse_digits_reads_only_digits() {
        for (text, n) in [
            ("0", Some(0)),
            ("007", Some(7)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("", None),
            ("+5", None),
            ("-1", None),
            ("1 ", None),
            ("1.0", None),
        ] {
            assert_eq!(super::parse_digits(text), n, "{text:?}");
        }
    }

    #[test]
    fn utf16_len_counts_as_js_does() {
        for s in ["", "abc", "héllo", "€", "😀", "a😀b€"] {
            assert_eq!(super::utf16_len(s), s.encode_utf16().count(), "{s:?}");
        }
    }

    #[test]
    fn find_special_finds_the_first_special_byte() {
        let plain = "abcdefghijklmnopqrstuvwxyz0123456789-é😀";
        for at in 0..=plain.len() {
            for special in ["\"", "\\", "\n", "\u{0}", "\u{1f}"] {
                let mut s = String::from(plain.get(..at).unwrap_or(plain));
                if !plain.is_char_boundary(at) {
                    continue;
                }
                s.push_str(special);
                s.push_str("tail\"");
                for from in 0..=at {
                    assert_eq!(super::find_special(s.as_bytes(), from), at, "{s:?} from {from}");
                }
            }
            if plain.is_char_boundary(at) {
                assert_eq!(super::find_special(plain.as_bytes(), at), plain.len());
            }
        }
        assert_eq!(super::find_special(b"\x7f\x80\xff~ ", 0), 5, "DEL and high bytes are not special");
    }

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
}
