//! [`Map`]: the object type of [`Value`], a list of entries sorted by key.
//!
//! Terraform objects are small (a nested block, a tag set, a resource's
//! attributes): a sorted list holds them in one allocation of exactly their
//! size, where a `BTreeMap` allocated a node for eleven entries for each,
//! and finds a key by binary search. Iteration is in key order, as it was,
//! so every rendering stays deterministic.

use std::fmt;

use super::Value;

/// An object: entries with unique keys, in key order.
#[derive(Clone, PartialEq, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Self {
        Map::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self.find(key) {
            Ok(i) => Some(&mut self.entries[i].1),
            Err(_) => None,
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Insert or replace; the old value is returned, as `BTreeMap` does.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        // Keys often come in order (a map being rebuilt): no search.
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        match self.find(key) {
            Ok(i) => Some(self.entries.remove(i).1),
            Err(_) => None,
        }
    }

    /// The value at `key`, inserted by `default` when missing.
    pub fn entry_or_insert_with(
        &mut self,
        key: String,
        default: impl FnOnce() -> Value,
    ) -> &mut Value {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(self.entries.iter_mut())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator + '_ {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Sort `entries` by key; of equal keys the last wins (as inserting
    /// them one by one would).
    fn from_unsorted(mut entries: Vec<(String, Value)>) -> Self {
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable: equal keys keep their order, and the last is kept.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            // In place: `kept` entries are done; each later one either
            // replaces the last kept (same key) or joins them.
            let mut kept = 0;
            for next in 0..entries.len() {
                if kept > 0 && entries[kept - 1].0 == entries[next].0 {
                    entries.swap(kept - 1, next);
                } else {
                    entries.swap(kept, next);
                    kept += 1;
                }
            }
            entries.truncate(kept);
        }
        Map { entries }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Map::from_unsorted(iter.into_iter().collect())
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        let mut entries = std::mem::take(&mut self.entries);
        let before = entries.len();
        entries.extend(iter);
        if entries.len() - before <= 4 {
            // A few: inserted where they belong.
            let new = entries.split_off(before);
            self.entries = entries;
            for (k, v) in new {
                self.insert(k, v);
            }
        } else {
            *self = Map::from_unsorted(entries);
        }
    }
}

impl<const N: usize> From<[(String, Value); N]> for Map {
    fn from(entries: [(String, Value); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;

    /// Panics when `key` is missing, as `BTreeMap`'s index does.
    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry `{key}` in map"),
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

/// Entries by reference, in key order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Entries with values to change, in key order.
pub struct IterMut<'a>(std::slice::IterMut<'a, (String, Value)>);

impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a String, &'a mut Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IterMut<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}

impl ExactSizeIterator for IterMut<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn behaves_as_an_ordered_map() {
        let mut m = Map::new();
        assert_eq!(m.insert("b".into(), s("1")), None);
        assert_eq!(m.insert("a".into(), s("2")), None);
        assert_eq!(m.insert("c".into(), s("3")), None);
        assert_eq!(m.insert("a".into(), s("4")), Some(s("2")));
        assert_eq!(
            m.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(m.get("a"), Some(&s("4")));
        assert_eq!(m.remove("b"), Some(s("1")));
        assert_eq!(m.remove("b"), None);
        assert!(!m.contains_key("b"));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn building_from_entries_keeps_the_last_of_equal_keys() {
        let m: Map = [
            ("z".to_string(), s("1")),
            ("a".to_string(), s("2")),
            ("z".to_string(), s("3")),
            ("m".to_string(), s("4")),
            ("a".to_string(), s("5")),
        ]
        .into_iter()
        .collect();
        let got: Vec<(&str, &Value)> = m.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(got, [("a", &s("5")), ("m", &s("4")), ("z", &s("3"))]);
        // The same as a BTreeMap built from the same entries, for many
        // orders and lengths (extend takes both of its paths).
        for n in 0..40usize {
            let entries: Vec<(String, Value)> = (0..n)
                .map(|i| (format!("k{}", (i * 7919) % 13), s(&i.to_string())))
                .collect();
            let tree: std::collections::BTreeMap<String, Value> = entries.iter().cloned().collect();
            let mut extended = Map::new();
            extended.insert("k5".into(), s("first"));
            extended.extend(entries.iter().cloned());
            let mut tree2 = std::collections::BTreeMap::new();
            tree2.insert("k5".to_string(), s("first"));
            tree2.extend(entries.iter().cloned());
            let map: Map = entries.into_iter().collect();
            assert!(map.iter().eq(tree.iter()), "n = {n}");
            assert!(extended.iter().eq(tree2.iter()), "n = {n}");
        }
    }
}
