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

#[cfg(test)]
mod tests {
    #[test]
    fn sorts_stably() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        super::sort_small(&mut items, |p| &p.0);
        assert_eq!(items, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }
}
