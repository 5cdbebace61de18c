//! JSON, TOML and YAML writers, and the delivery manifest. The determinism
//! rules live here: maps keep the order the backend built them in (never a
//! hash order), two-space indentation, LF line ends and a final newline.

pub(crate) mod json_doc;
mod yaml;

use serde::Serialize;
use serde::ser::SerializeMap;
use sha2::{Digest, Sha256};
use std::cell::RefCell;

/// A map that serializes in insertion order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> OrderedMap<V> {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn new() -> OrderedMap<V> {
        OrderedMap(Vec::new())
    }

    pub fn insert(&mut self, key: impl Into<String>, value: V) {
        self.0.push((key.into(), value));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_pairs(&self.0, serializer)
    }
}

/// Serializes `(key, value)` pairs as a map, in their order.
pub fn serialize_pairs<K: Serialize, V: Serialize, S: serde::Serializer>(
    pairs: &[(K, V)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = OrderedMap::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

/// A JSON document built in order from parts that serialize themselves:
/// objects on a key path (as [`Node::put`] makes them), and at their leaves
/// whatever a backend builds, written straight out without a
/// `serde_json::Value` tree in between (at scale, building and dropping
/// those trees was most of a backend's time).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Node<T> {
    Object(OrderedMap<Node<T>>),
    Leaf(T),
}

impl<T> Node<T> {
    pub fn object() -> Node<T> {
        Node::Object(OrderedMap::new())
    }

    /// Sets `value` at a key path, creating objects on the way; a key
    /// already there keeps its place and takes the new value. Nothing is
    /// set below a leaf.
    pub fn put(&mut self, path: &[&str], value: Node<T>) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut at = self;
        for key in parents {
            let Node::Object(map) = at else { return };
            let i = match map.0.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    map.insert(*key, Node::object());
                    map.0.len() - 1
                }
            };
            at = &mut map.0[i].1;
        }
        let Node::Object(map) = at else { return };
        match map.0.iter_mut().find(|(k, _)| k == last) {
            Some((_, v)) => *v = value,
            None => map.insert(*last, value),
        }
    }
}

/// A map whose entries are made while it is written: each pair the
/// iterator gives is serialized and dropped before the next is made, so a
/// document of many entries never holds them all (at scale, the entries of
/// one file were a third of a build's peak memory). It is written once; a
/// second write gives an empty map.
pub struct Streamed<I>(RefCell<Option<I>>);

impl<I> Streamed<I> {
    pub fn new(entries: I) -> Streamed<I> {
        Streamed(RefCell::new(Some(entries)))
    }
}

impl<I, K, V> Serialize for Streamed<I>
where
    I: Iterator<Item = (K, V)>,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.borrow_mut().take();
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in entries.into_iter().flatten() {
            map.serialize_entry(&k, &v)?;
        }
        map.end()
    }
}

/// A document's top-level entries, then those of the object `more` makes
/// once they are written (from what writing them found: VS Code's
/// `inputs` list the secrets its streamed entries prompt for). The keys of
/// `more` must differ from the document's.
pub struct Then<'d, T, F> {
    doc: &'d Node<T>,
    more: RefCell<Option<F>>,
}

impl<'d, T, F> Then<'d, T, F> {
    pub fn new(doc: &'d Node<T>, more: F) -> Then<'d, T, F> {
        Then {
            doc,
            more: RefCell::new(Some(more)),
        }
    }
}

impl<T: Serialize, U: Serialize, F: FnOnce() -> Node<U>> Serialize for Then<'_, T, F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Node::Object(m) = self.doc {
            for (k, v) in &m.0 {
                map.serialize_entry(k, v)?;
            }
        }
        if let Some(more) = self.more.borrow_mut().take()
            && let Node::Object(m) = more()
        {
            for (k, v) in &m.0 {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// Whether no name is given twice.
pub fn distinct<'a>(names: impl IntoIterator<Item = &'a str>) -> bool {
    let mut names = names.into_iter();
    let mut seen =
        foldhash::HashSet::with_capacity_and_hasher(names.size_hint().0, Default::default());
    names.all(|n| seen.insert(n))
}

/// A whole number of units when exact, else a fraction: `20` or `0.5`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Number {
    Int(u64),
    Float(f64),
}

impl Number {
    /// The value in milliseconds, given `per` milliseconds a unit.
    pub fn to_millis(self, per: u64) -> u64 {
        match self {
            Number::Int(n) => n * per,
            Number::Float(f) => (f * per as f64).round() as u64,
        }
    }

    /// Milliseconds in units of `per` milliseconds (1000 for seconds).
    pub fn from_millis(ms: u64, per: u64) -> Number {
        if ms.is_multiple_of(per) {
            Number::Int(ms / per)
        } else {
            Number::Float(ms as f64 / per as f64)
        }
    }
}

pub fn json<T: Serialize>(value: &T) -> String {
    let mut text = Vec::with_capacity(128);
    pretty_to(&mut text, value);
    text.push(b'\n');
    String::from_utf8(text).expect("JSON is UTF-8")
}

/// Writes `value` as serde_json's pretty printer does (two spaces).
fn pretty_to<W: std::io::Write, T: Serialize + ?Sized>(out: W, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(out, Pretty::default());
    value
        .serialize(&mut ser)
        .expect("backend structs serialize to JSON");
}

/// serde_json's `PrettyFormatter` with two spaces, byte for byte, but each
/// line break is written with its comma and indentation at once: it writes
/// the indentation a level at a time, a write each, which was a tenth of
/// the work of a JSON target.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// A comma, a line break and the indentation of 32 levels: what a line
/// break writes is a slice of it.
const BREAK: &[u8; 66] = b",\n                                                                ";

impl Pretty {
    /// A line break (after a comma, if `comma`) and the indentation.
    fn line<W: ?Sized + std::io::Write>(&self, out: &mut W, comma: bool) -> std::io::Result<()> {
        let from = usize::from(!comma);
        match BREAK.get(from..2 + 2 * self.depth) {
            Some(bytes) => out.write_all(bytes),
            None => {
                out.write_all(&BREAK[from..2])?;
                (0..self.depth).try_for_each(|_| out.write_all(b"  "))
            }
        }
    }

    /// An array or object begins.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    /// It ends: on a line of its own unless it is empty.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(out, false)?;
        }
        out.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(out, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(out, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
    ) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A document holding one map, written into `out` an entry at a time, so
/// that the whole is never in memory: `doc` gives the document of a map;
/// each entry's document of itself alone, less its first `head` bytes, is
/// put after `head` once, `sep` apart. Where the format allows (TOML's
/// tables, a blank line apart; YAML's entries, below `key:`), these are
/// the bytes of the whole map's document; no entry means the empty map's.
pub fn one_by_one<V>(
    out: &mut crate::backends::Output,
    entries: impl Iterator<Item = (String, V)>,
    head: &str,
    sep: &str,
    doc: impl Fn(OrderedMap<V>) -> String,
) {
    let mut none = true;
    for entry in entries {
        let one = doc(OrderedMap(vec![entry]));
        let body = one
            .strip_prefix(head)
            .expect("an entry's document starts so");
        out.put(if none { head } else { sep });
        out.put(body);
        none = false;
    }
    if none {
        out.put(&doc(OrderedMap::new()));
    }
}

/// [`json`], written into `out` as it is made.
pub fn json_to<T: Serialize>(value: &T, out: &mut crate::backends::Output) {
    pretty_to(&mut *out, value);
    out.put("\n");
}

pub fn toml<T: Serialize>(value: &T) -> String {
    toml::to_string(value).expect("backend structs serialize to TOML")
}

/// YAML written straight from the backend's structs (`yaml.rs`).
pub fn yaml<T: Serialize>(value: &T) -> String {
    yaml::to_string(value).expect("backend structs serialize to YAML")
}

/// Reads JSON that may hold `//` and `/* */` comments, as Gemini CLI's
/// settings loader does.
pub fn json_with_comments<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = json_doc::to_value(text).map_err(|e| {
        let line = text[..e.offset.min(text.len())].matches('\n').count() + 1;
        format!("line {line}: {}", e.message)
    })?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` in lower-case hex, written in one allocation (a `format!` per
/// byte was a tenth of a 3-server build).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digests of FIPS 180-2's examples, as the manifest spells them.
    #[test]
    fn sha256_hex_is_the_lower_case_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// A streamed map writes the bytes of the map collected first, empty
    /// or not, in JSON and YAML; `Then` adds the entries made after the
    /// document's, from what writing it found.
    #[test]
    fn streamed_entries_write_what_the_collected_map_would() {
        for n in [0, 1, 3] {
            let pairs: Vec<(String, serde_json::Value)> = (0..n)
                .map(|i| (format!("s{i}"), serde_json::json!({"a": [i, "x"], "b": {}})))
                .collect();
            let made = std::cell::Cell::new(0);
            let streamed = Streamed::new(pairs.iter().map(|(k, v)| {
                made.set(made.get() + 1);
                (k.as_str(), v)
            }));
            let mut doc: Node<Streamed<_>> = Node::object();
            doc.put(&["servers"], Node::Leaf(streamed));
            let then = Then::new(&doc, || {
                let mut more = Node::object();
                more.put(
                    &["inputs"],
                    Node::Leaf(serde_json::json!({"made": made.get()})),
                );
                more
            });
            let want = serde_json::json!({
                "servers": OrderedMap(pairs.clone()),
                "inputs": {"made": n},
            });
            assert_eq!(json(&then), json(&want), "{n} entries");
            // Written once: a second write gives an empty map.
            assert_eq!(json(&doc), "{\n  \"servers\": {}\n}\n");
            let streamed = Streamed::new(pairs.iter().map(|(k, v)| (k, v)));
            assert_eq!(yaml(&streamed), yaml(&OrderedMap(pairs.clone())));
        }
        assert!(distinct(["a", "b", "c"]));
        assert!(!distinct(["a", "b", "a"]));
    }

    /// [`json`] writes what serde_json's pretty printer writes, at every
    /// depth (past the 32 levels one line break's slice holds too), empty
    /// arrays and objects included.
    #[test]
    fn json_writes_what_serde_json_writes_pretty() {
        let mut deep = serde_json::json!({"leaf": [1, [], {}, "x\n"]});
        for depth in 0..40 {
            deep = serde_json::json!({"k": deep, "list": [depth, {"a": []}], "e": {}});
            let want = serde_json::to_string_pretty(&deep).unwrap() + "\n";
            assert_eq!(json(&deep), want, "depth {depth}");
        }
        for v in [
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!("s"),
        ] {
            assert_eq!(json(&v), serde_json::to_string_pretty(&v).unwrap() + "\n");
        }
    }

    /// A `Node` document writes the bytes the same `Value` tree would.
    #[test]
    fn a_node_document_writes_what_its_value_tree_would() {
        let mut doc: Node<serde_json::Value> = Node::object();
        doc.put(&["a", "b"], Node::Leaf(serde_json::json!({"x": [1, "y"]})));
        doc.put(&["c"], Node::Leaf(serde_json::json!([])));
        doc.put(&["a", "empty"], Node::object());
        // A key set again keeps its place and takes the new value.
        doc.put(&["a", "b"], Node::Leaf(serde_json::json!("z\n\"")));
        // Nothing goes below a leaf.
        doc.put(&["c", "d"], Node::Leaf(serde_json::json!(true)));
        doc.put(&[], Node::Leaf(serde_json::json!(false)));
        let want = serde_json::json!({"a": {"b": "z\n\"", "empty": {}}, "c": []});
        assert_eq!(json(&doc), json(&want));
        assert!(json(&doc).starts_with("{\n  \"a\": {\n    \"b\""));
    }
}
