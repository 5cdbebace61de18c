//! A small YAML writer, a serde `Serializer` that writes as it goes (no
//! value tree in between: at scale, building and dropping a
//! `serde_json::Value` per entry was most of a YAML backend's time): block
//! mappings and sequences, every string double-quoted (JSON escapes are
//! valid YAML), so no value is ever read back as a number, a boolean or
//! `null`. Empty containers are written `{}` and `[]`.
//!
//! A container's entries start two columns right of the line that holds
//! it: a key's, or a sequence item's `-`.

use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt;

/// `value` as a YAML document.
pub(super) fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = String::new();
    value.serialize(Writer {
        out: &mut out,
        column: 0,
        top: true,
    })?;
    Ok(out)
}

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

/// Writes one value in its place: the whole document (`top`), or after a
/// key's `:` or an item's `-`, whose line is at `column`.
struct Writer<'a> {
    out: &'a mut String,
    column: usize,
    top: bool,
}

impl<'a> Writer<'a> {
    fn scalar(self, text: &str) -> Result<(), Error> {
        if !self.top {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn container(self, kind: Kind) -> Compound<'a> {
        Compound {
            column: if self.top { 0 } else { self.column + 2 },
            out: self.out,
            top: self.top,
            kind,
            entries: 0,
        }
    }

    fn number(self, value: impl Into<serde_json::Value>) -> Result<(), Error> {
        self.scalar(&value.into().to_string())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Mapping,
    Sequence,
}

/// A mapping or sequence being written; its entries at `column`.
struct Compound<'a> {
    out: &'a mut String,
    column: usize,
    top: bool,
    kind: Kind,
    entries: usize,
}

impl Compound<'_> {
    /// Starts an entry's line (and, before the first, ends the line that
    /// holds the container).
    fn line(&mut self) {
        if self.entries == 0 && !self.top {
            self.out.push('\n');
        }
        self.entries += 1;
        self.out.extend(std::iter::repeat_n(' ', self.column));
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.line();
        self.out.push('-');
        value.serialize(Writer {
            out: self.out,
            column: self.column,
            top: false,
        })
    }

    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.line();
        key_text(self.out, key);
        self.out.push(':');
        value.serialize(Writer {
            out: self.out,
            column: self.column,
            top: false,
        })
    }

    fn finish(self) -> Result<(), Error> {
        if self.entries == 0 {
            let empty = match self.kind {
                Kind::Mapping => "{}",
                Kind::Sequence => "[]",
            };
            if !self.top {
                self.out.push(' ');
            }
            self.out.push_str(empty);
            self.out.push('\n');
        }
        Ok(())
    }
}

/// A mapping whose key was given on its own (`serialize_key`).
struct MapWriter<'a> {
    compound: Compound<'a>,
    key: String,
}

/// serde's eight integer methods, each handing its value to `$to`.
macro_rules! integers {
    ($to:ident) => {
        integers!($to: serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
            serialize_u8 u8, serialize_u16 u16, serialize_u32 u32, serialize_u64 u64);
    };
    ($to:ident: $($method:ident $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            self.$to(v)
        }
    )*};
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(if v { "true" } else { "false" })
    }
    integers!(number);
    // Floats as JSON writes them (`0.5`; not finite: `null`).
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if !self.top {
            self.out.push(' ');
        }
        quoted(self.out, v);
        self.out.push('\n');
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        ser::Serializer::collect_seq(self, v)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut map = self.container(Kind::Mapping);
        map.entry(variant, value)?;
        map.finish()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.container(Kind::Sequence))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.container(Kind::Sequence))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.container(Kind::Sequence))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error(format!("tuple variant `{name}::{variant}` in YAML")))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapWriter<'a>, Error> {
        Ok(MapWriter {
            compound: self.container(Kind::Mapping),
            key: String::new(),
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.container(Kind::Mapping))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error(format!("struct variant `{name}::{variant}` in YAML")))
    }
}

/// The three kinds of sequence serde has, written alike.
macro_rules! sequence {
    ($($kind:ident :: $method:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entry(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key.clear();
        key.serialize(KeyWriter(&mut self.key))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = std::mem::take(&mut self.key);
        self.compound.entry(&key, value)?;
        self.key = key;
        Ok(())
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Error> {
        self.serialize_key(key)?;
        self.serialize_value(value)
    }
    fn end(self) -> Result<(), Error> {
        self.compound.finish()
    }
}

/// A mapping key: text, as JSON turns keys into strings (numbers and
/// booleans by their text); anything else is refused.
struct KeyWriter<'a>(&'a mut String);

impl KeyWriter<'_> {
    fn text(self, text: &str) -> Result<(), Error> {
        self.0.push_str(text);
        Ok(())
    }
    fn integer(self, v: impl fmt::Display) -> Result<(), Error> {
        use fmt::Write as _;
        write!(self.0, "{v}").expect("a String takes any text");
        Ok(())
    }
    fn refuse(&self) -> Error {
        Error("a YAML key must be a string".to_owned())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.text(if v { "true" } else { "false" })
    }
    integers!(integer);
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(self.refuse())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(self.refuse())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(self.refuse())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(self.refuse())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(self.refuse())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(self.refuse())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(self.refuse())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(self.refuse())
    }
}

/// Plain when unambiguous (`mcp_servers`, `docs-search`), else quoted.
fn key_text(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"]
            .iter()
            .any(|word| key.eq_ignore_ascii_case(word));
    if plain {
        out.push_str(key);
    } else {
        quoted(out, key);
    }
}

/// A double-quoted YAML string: JSON's escapes, plus `\uXXXX` for what JSON
/// leaves raw but YAML does not read back as itself (DEL, the C1 controls
/// with NEL, the line and paragraph separators, a BOM).
fn quoted(out: &mut String, text: &str) {
    // Most strings need no escape at all: printable ASCII but `"` and `\`.
    if text
        .bytes()
        .all(|b| (b' '..b'\x7f').contains(&b) && b != b'"' && b != b'\\')
    {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        return;
    }
    let json = serde_json::to_string(text).expect("a string serializes to JSON");
    for c in json.chars() {
        if matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
        ) {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_back(text: &str) -> serde_json::Value {
        serde_norway::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
    }

    #[test]
    fn writes_yaml_that_a_real_parser_reads_back() {
        let tree = json!({
            "mcp_servers": {
                "docs": {"command": "npx", "args": ["-y", "a@1.0.0"], "timeout": 120,
                          "env": {"A": "${A}", "on": "yes"}, "enabled": false,
                          "tools": {"include": ["x"]}, "nested": [[], ["a", ["b"]], {}],
                          "ratio": 0.5, "none": null},
                "1odd key": {"url": "https://x/\"q\"\n\u{85}\u{2028}é", "headers": {}}
            }
        });
        let text = to_string(&tree).unwrap();
        assert_eq!(read_back(&text), tree, "{text}");
    }

    #[test]
    fn lays_out_blocks_two_columns_right_of_their_line() {
        let tree = json!({"a": {"b": ["x", {"c": 1, "d": []}, ["y"]], "e": {}}, "true": "n"});
        let want = "a:\n  b:\n    - \"x\"\n    -\n      c: 1\n      d: []\n    -\n      - \"y\"\n  e: {}\n\"true\": \"n\"\n";
        assert_eq!(to_string(&tree).unwrap(), want);
        assert_eq!(to_string(&json!({})).unwrap(), "{}\n");
        assert_eq!(to_string(&json!("s")).unwrap(), "\"s\"\n");
    }

    /// Structs and maps of a backend write what their `Value` tree does.
    #[test]
    fn a_struct_writes_what_its_value_tree_would() {
        #[derive(Serialize)]
        struct Server {
            command: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            url: Option<String>,
            args: Vec<String>,
            env: crate::emit::OrderedMap<String>,
            timeout: crate::emit::Number,
        }
        let mut env = crate::emit::OrderedMap::new();
        env.insert("Z", "1".to_owned());
        env.insert("A", "${A}".to_owned());
        let s = Server {
            command: None,
            url: None,
            args: vec!["-y".into()],
            env,
            timeout: crate::emit::Number::Float(1.5),
        };
        let text = to_string(&s).unwrap();
        assert_eq!(text, to_string(&serde_json::to_value(&s).unwrap()).unwrap());
        assert_eq!(
            text,
            "command: null\nargs:\n  - \"-y\"\nenv:\n  Z: \"1\"\n  A: \"${A}\"\ntimeout: 1.5\n"
        );
    }
}
