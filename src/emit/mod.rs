//! JSON, TOML and YAML writers, and the delivery manifest. The determinism
//! rules live here: maps keep the order the backend built them in (never a
//! hash order), two-space indentation, LF line ends and a final newline.

pub(crate) mod json_doc;
mod yaml;

use serde::Serialize;
use serde::ser::SerializeMap;
use sha2::{Digest, Sha256};

/// A map that serializes in insertion order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

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
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
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
    let mut text = serde_json::to_string_pretty(value).expect("backend structs serialize to JSON");
    text.push('\n');
    text
}

pub fn toml<T: Serialize>(value: &T) -> String {
    toml::to_string(value).expect("backend structs serialize to TOML")
}

pub fn yaml<T: Serialize>(value: &T) -> String {
    let tree = serde_json::to_value(value).expect("backend structs serialize");
    yaml::write(&tree)
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

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
