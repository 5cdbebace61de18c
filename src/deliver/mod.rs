//! Delivery into a user's real runtime files (`mcpc apply`), without losing
//! anything: IO-free planning of the edit, the ledger of what mcpc owns, and
//! the reading of a file's servers for `verify`.
//!
//! An edit splices only the entries mcpc owns (JSON and YAML by span, TOML
//! through `toml_edit`); afterwards the new text is parsed and compared with
//! the old one with every owned entry taken out of both — any other
//! difference refuses the whole apply.

mod toml_doc;
mod yaml_doc;

use crate::backends::{Format, ManagedFile, OutFile, Owned, Target};
use crate::emit::json_doc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What mcpc wrote into a runtime's files, by real path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub version: u32,
    pub target: String,
    pub files: BTreeMap<String, FileLedger>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileLedger {
    /// Server name -> sha256 of the entry mcpc wrote.
    #[serde(default)]
    pub servers: BTreeMap<String, String>,
    /// Dotted key path -> the list items mcpc added.
    #[serde(default)]
    pub items: BTreeMap<String, Vec<String>>,
    /// Input id -> sha256 of the input mcpc wrote (VS Code's `inputs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, String>,
}

impl FileLedger {
    fn is_empty(&self) -> bool {
        self.servers.is_empty() && self.items.is_empty() && self.inputs.is_empty()
    }
}

/// How the entries of an owned container are named: by key (a map of
/// servers) or by their `id` member (a list of inputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyed {
    Map,
    ById,
}

impl Keyed {
    fn noun(self) -> &'static str {
        match self {
            Keyed::Map => "server",
            Keyed::ById => "input",
        }
    }

    /// The entries of the container at `path`, by name; an error when it
    /// is not the container this expects.
    fn entries<'v>(
        self,
        doc: &'v Value,
        path: &[&str],
    ) -> Result<BTreeMap<String, &'v Value>, String> {
        let at = || format!("`{}`", path.join("."));
        match (self, pointer(doc, path)) {
            (_, None) => Ok(BTreeMap::new()),
            (Keyed::Map, Some(Value::Object(m))) => {
                Ok(m.iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            (Keyed::Map, Some(_)) => Err(format!("{} is not an object", at())),
            (Keyed::ById, Some(Value::Array(a))) => Ok(a
                .iter()
                .filter_map(|v| Some((v.get("id")?.as_str()?.to_owned(), v)))
                .collect()),
            (Keyed::ById, Some(_)) => Err(format!("{} is not a list", at())),
        }
    }

    /// The entry `name` of the container at `path`.
    fn lookup<'v>(self, doc: &'v Value, path: &[&str], name: &str) -> Option<&'v Value> {
        self.entries(doc, path).ok()?.remove(name)
    }
}

/// One runtime file as it is now.
pub struct Current<'a> {
    pub file: &'a ManagedFile,
    /// Where it lives (absolute, as the CLI resolved it).
    pub path: String,
    /// `None`: the file does not exist.
    pub text: Option<String>,
}

/// The new text of one file.
#[derive(Debug)]
pub struct Edit {
    pub path: String,
    pub old: Option<String>,
    pub new: String,
}

#[derive(Debug, Default)]
pub struct ApplyPlan {
    pub edits: Vec<Edit>,
    pub ledger: Ledger,
    /// `added server docs in …`, one line per action.
    pub actions: Vec<String>,
    /// Entries left alone because they were edited by hand or are not ours.
    pub conflicts: Vec<String>,
}

/// A file mcpc cannot read or edit safely; nothing is written.
#[derive(Debug)]
pub struct DeliverError {
    pub path: String,
    pub message: String,
    /// A problem with a code of its own (a file nested too deep).
    pub code: Option<crate::diag::Code>,
}

/// The entries mcpc wants in each of a target's files: the backend's
/// config output, parsed. Keys are project paths.
pub fn desired(target: Target, files: &[OutFile]) -> Result<BTreeMap<String, Value>, DeliverError> {
    let prefix = format!("{}/", target.name());
    let mut out = BTreeMap::new();
    for managed in target.backend().managed_files() {
        let path = format!("{prefix}{}", managed.project_path);
        let value = match files.iter().find(|f| f.path == path) {
            Some(f) => parse(managed.format, f.text(), &path)?,
            None => Value::Object(Default::default()),
        };
        out.insert(managed.project_path.to_owned(), value);
    }
    Ok(out)
}

pub fn parse(format: Format, text: &str, path: &str) -> Result<Value, DeliverError> {
    let result = match format {
        Format::Json | Format::Jsonc if text.trim().is_empty() => {
            Ok(Value::Object(Default::default()))
        }
        Format::Json => match json_doc::parse_strict(text) {
            Err(e) if json_doc::parse(text).is_ok() => {
                let line = text[..e.offset.min(text.len())].matches('\n').count() + 1;
                Err(format!(
                    "line {line}: a trailing comma, which this runtime does not accept in its file; remove it and apply again"
                ))
            }
            _ => crate::emit::json_with_comments(text),
        },
        Format::Jsonc => crate::emit::json_with_comments(text),
        Format::Toml => toml_doc::to_value(text),
        Format::Yaml => yaml_doc::to_value(text),
    };
    result.map_err(|message| DeliverError {
        path: path.to_owned(),
        code: message
            .contains(json_doc::TOO_DEEP)
            .then_some(crate::diag::Code::NestingTooDeep),
        message,
    })
}

fn pointer<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

/// A digest independent of key order.
fn digest(value: &Value) -> String {
    fn canonical(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, canonical(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    crate::emit::sha256_hex(canonical(value).to_string().as_bytes())
}

fn same(a: &Value, b: &Value) -> bool {
    digest(a) == digest(b)
}

/// Plans the merge of `desired` into the `current` files.
pub fn plan_apply(
    target: Target,
    current: &[Current],
    desired: &BTreeMap<String, Value>,
    ledger: &Ledger,
    force: bool,
) -> Result<ApplyPlan, DeliverError> {
    let mut plan = ApplyPlan {
        ledger: Ledger {
            version: 1,
            target: target.name().to_owned(),
            files: BTreeMap::new(),
        },
        ..ApplyPlan::default()
    };
    for cur in current {
        let fail = |message: String| DeliverError {
            path: cur.path.clone(),
            message,
            code: None,
        };
        let old_text = cur.text.clone().unwrap_or_default();
        let old = parse(cur.file.format, &old_text, &cur.path)?;
        let want_doc = desired
            .get(cur.file.project_path)
            .cloned()
            .unwrap_or(Value::Null);
        let old_ledger = ledger.files.get(&cur.path).cloned().unwrap_or_default();
        let mut new_ledger = FileLedger::default();
        let mut text = old_text.clone();
        let mut expected: Vec<Expected> = Vec::new();
        let mut touched: Vec<(&[&str], BTreeSet<String>)> = Vec::new();
        for owned in cur.file.owned {
            let keyed = match owned {
                Owned::Servers(path) => Some((path, Keyed::Map)),
                Owned::Inputs(path) => Some((path, Keyed::ById)),
                Owned::Items(_) => None,
            };
            if let Some((path, keyed)) = keyed {
                let (old_owned, new_owned) = match keyed {
                    Keyed::Map => (&old_ledger.servers, &mut new_ledger.servers),
                    Keyed::ById => (&old_ledger.inputs, &mut new_ledger.inputs),
                };
                let owned = Owner {
                    path,
                    keyed,
                    old: old_owned,
                    new: new_owned,
                };
                let names = servers(cur, owned, &old, &want_doc, force, &mut plan, &mut text)
                    .map_err(fail)?;
                for (name, value) in names.1 {
                    expected.push((path, keyed, name, value));
                }
                touched.push((path, names.0));
            }
            match owned {
                Owned::Servers(_) | Owned::Inputs(_) => {}
                Owned::Items(path) => {
                    let items = items(
                        cur,
                        path,
                        &old,
                        &want_doc,
                        &old_ledger,
                        &mut new_ledger,
                        &mut plan,
                        &mut text,
                    )
                    .map_err(fail)?;
                    touched.push((path, items));
                }
            }
        }
        if text == old_text {
            if !new_ledger.is_empty() {
                plan.ledger.files.insert(cur.path.clone(), new_ledger);
            }
            continue;
        }
        prove_safe(cur.file.format, &old, &text, &expected, &touched).map_err(fail)?;
        if !new_ledger.is_empty() {
            plan.ledger.files.insert(cur.path.clone(), new_ledger);
        }
        plan.edits.push(Edit {
            path: cur.path.clone(),
            old: cur.text.clone(),
            new: text,
        });
    }
    Ok(plan)
}

/// A server name and the value it must have after the edit (`None`: absent).
type Outcome = (String, Option<Value>);

/// An owned entry and the value it must have after the edit: the
/// container's path, how it names entries, the name, the value.
type Expected<'p> = (&'p [&'p str], Keyed, String, Option<Value>);

/// One owned container of a file: where, how named, and what the ledger
/// recorded of it before and records now.
struct Owner<'a> {
    path: &'a [&'a str],
    keyed: Keyed,
    old: &'a BTreeMap<String, String>,
    new: &'a mut BTreeMap<String, String>,
}

/// The owned entries of one container (servers by name, inputs by id):
/// returns the names touched and the value each must have afterwards
/// (`None`: absent).
fn servers(
    cur: &Current,
    owner: Owner,
    old: &Value,
    want_doc: &Value,
    force: bool,
    plan: &mut ApplyPlan,
    text: &mut String,
) -> Result<(BTreeSet<String>, Vec<Outcome>), String> {
    let Owner {
        path,
        keyed,
        old: old_ledger,
        new: new_ledger,
    } = owner;
    let have = keyed.entries(old, path)?;
    let want = keyed.entries(want_doc, path)?;
    let noun = keyed.noun();
    let mut touched = BTreeSet::new();
    let mut expected = Vec::new();
    let at = &cur.path;
    for (name, &value) in &want {
        touched.insert(name.clone());
        let recorded = old_ledger.get(name);
        let write = match (have.get(name).copied(), recorded) {
            (None, _) => {
                plan.actions.push(format!("add {noun} `{name}` to {at}"));
                true
            }
            (Some(v), _) if same(v, value) => {
                if recorded.is_none() {
                    plan.actions.push(format!(
                        "adopt {noun} `{name}` in {at} (already as declared)"
                    ));
                }
                false
            }
            (Some(v), Some(h)) if digest(v) == *h => {
                plan.actions.push(format!("update {noun} `{name}` in {at}"));
                true
            }
            (Some(_), recorded) => {
                let why = if recorded.is_some() {
                    "was edited by hand since mcpc wrote it"
                } else {
                    "exists and was not written by mcpc"
                };
                if force {
                    plan.actions.push(format!(
                        "overwrite {noun} `{name}` in {at} (it {why}; --force)"
                    ));
                    true
                } else {
                    plan.conflicts.push(format!(
                        "{noun} `{name}` in {at} {why}; left as it is (use --force to overwrite)"
                    ));
                    if let Some(h) = recorded {
                        new_ledger.insert(name.clone(), h.clone());
                    }
                    expected.push((name.clone(), have.get(name).map(|v| (*v).clone())));
                    continue;
                }
            }
        };
        if write {
            *text = match keyed {
                Keyed::Map => {
                    let mut p = path.to_vec();
                    p.push(name);
                    edit_set(cur.file.format, text, &p, value)?
                }
                Keyed::ById => json_only(cur.file.format, path)?(text, path, name, Some(value))?,
            };
        }
        new_ledger.insert(name.clone(), digest(value));
        expected.push((name.clone(), Some(value.clone())));
    }
    for (name, h) in old_ledger {
        if want.contains_key(name) {
            continue;
        }
        touched.insert(name.clone());
        match have.get(name) {
            None => {}
            Some(v) if digest(v) == *h || force => {
                plan.actions.push(format!(
                    "remove {noun} `{name}` from {at} (no longer declared)"
                ));
                *text = match keyed {
                    Keyed::Map => {
                        let mut p = path.to_vec();
                        p.push(name);
                        edit_remove(cur.file.format, text, &p)?
                    }
                    Keyed::ById => json_only(cur.file.format, path)?(text, path, name, None)?,
                };
                expected.push((name.clone(), None));
            }
            Some(v) => {
                plan.conflicts.push(format!(
                    "{noun} `{name}` in {at} is no longer declared but was edited by hand; left as it is (use --force to remove)"
                ));
                new_ledger.insert(name.clone(), h.clone());
                expected.push((name.clone(), Some((*v).clone())));
            }
        }
    }
    Ok((touched, expected))
}

/// Sets (`Some`) or removes (`None`) the entry of a list of inputs.
type EditById = fn(&str, &[&str], &str, Option<&Value>) -> Result<String, String>;

/// The edit of a list named by id: JSON files only (VS Code's).
fn json_only(format: Format, path: &[&str]) -> Result<EditById, String> {
    match format {
        Format::Json | Format::Jsonc => Ok(|text, path, id, value| {
            let base = if text.trim().is_empty() { "{}\n" } else { text };
            match value {
                Some(v) => json_doc::set_by_id(base, path, id, v),
                None => json_doc::remove_by_id(text, path, id),
            }
            .map_err(|e| e.message)
        }),
        _ => Err(format!(
            "cannot edit the list `{}` in this format",
            path.join(".")
        )),
    }
}

/// A list of strings: mcpc adds the items it declares and removes only the
/// items it added before.
#[allow(clippy::too_many_arguments)]
fn items(
    cur: &Current,
    path: &[&str],
    old: &Value,
    want_doc: &Value,
    old_ledger: &FileLedger,
    new_ledger: &mut FileLedger,
    plan: &mut ApplyPlan,
    text: &mut String,
) -> Result<BTreeSet<String>, String> {
    let key = path.join(".");
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let have_value = pointer(old, path);
    if have_value.is_some_and(|v| !v.is_array()) {
        return Err(format!("`{key}` is not a list"));
    }
    let have = strings(have_value);
    let want = strings(pointer(want_doc, path));
    let owned_before: Vec<String> = old_ledger.items.get(&key).cloned().unwrap_or_default();
    let mut list: Vec<String> = have
        .iter()
        .filter(|i| !owned_before.contains(i) || want.contains(i))
        .cloned()
        .collect();
    let mut owned = Vec::new();
    for item in &want {
        if !have.contains(item) {
            list.push(item.clone());
            owned.push(item.clone());
        } else if owned_before.contains(item) {
            owned.push(item.clone());
        }
    }
    let touched: BTreeSet<String> = owned_before.iter().chain(&want).cloned().collect();
    if list != have {
        let (added, removed): (Vec<&String>, Vec<&String>) = (
            list.iter().filter(|i| !have.contains(i)).collect(),
            have.iter().filter(|i| !list.contains(i)).collect(),
        );
        for item in &added {
            plan.actions
                .push(format!("add `{item}` to `{key}` in {}", cur.path));
        }
        for item in &removed {
            plan.actions
                .push(format!("remove `{item}` from `{key}` in {}", cur.path));
        }
        if matches!(cur.file.format, Format::Json | Format::Jsonc) {
            // Item by item, so the user's own items keep their bytes.
            for item in removed {
                *text = json_doc::remove_item(text, path, item).map_err(|e| e.message)?;
            }
            let base = if text.trim().is_empty() {
                "{}\n".to_owned()
            } else {
                text.clone()
            };
            *text = added
                .iter()
                .try_fold(base, |t, item| json_doc::push_item(&t, path, item))
                .map_err(|e| e.message)?;
        } else {
            let value = Value::Array(list.into_iter().map(Value::String).collect());
            *text = edit_set(cur.file.format, text, path, &value)?;
        }
    }
    if !owned.is_empty() {
        new_ledger.items.insert(key, owned);
    }
    Ok(touched)
}

fn edit_set(format: Format, text: &str, path: &[&str], value: &Value) -> Result<String, String> {
    match format {
        Format::Json | Format::Jsonc => {
            let base = if text.trim().is_empty() { "{}\n" } else { text };
            json_doc::set(base, path, value).map_err(|e| e.message)
        }
        Format::Toml => {
            let (name, parent) = path.split_last().ok_or("empty path")?;
            toml_doc::set(text, parent, name, value)
        }
        Format::Yaml => match path {
            [key, name] => yaml_doc::set(text, key, name, value),
            _ => Err(format!("cannot edit `{}` in YAML", path.join("."))),
        },
    }
}

fn edit_remove(format: Format, text: &str, path: &[&str]) -> Result<String, String> {
    match format {
        Format::Json | Format::Jsonc => json_doc::remove(text, path).map_err(|e| e.message),
        Format::Toml => {
            let (name, parent) = path.split_last().ok_or("empty path")?;
            toml_doc::remove(text, parent, name)
        }
        Format::Yaml => match path {
            [key, name] => yaml_doc::remove(text, key, name),
            _ => Err(format!("cannot edit `{}` in YAML", path.join("."))),
        },
    }
}

/// The edit changed exactly the owned entries: parse the new text, check
/// each owned entry, then compare old and new with owned entries removed.
fn prove_safe(
    format: Format,
    old: &Value,
    new_text: &str,
    expected: &[Expected],
    touched: &[(&[&str], BTreeSet<String>)],
) -> Result<(), String> {
    let new = parse(format, new_text, "").map_err(|e| {
        format!(
            "the edited file would not parse ({}); nothing written",
            e.message
        )
    })?;
    for (path, keyed, name, value) in expected {
        let got = keyed.lookup(&new, path, name);
        let ok = match (got, value) {
            (Some(g), Some(v)) => same(g, v),
            (None, None) => true,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "the edit of `{}.{name}` did not come out as intended; nothing written",
                path.join(".")
            ));
        }
    }
    let (mut a, mut b) = (old.clone(), new);
    for (path, names) in touched {
        strip(&mut a, path, names);
        strip(&mut b, path, names);
    }
    if a != b {
        return Err("the edit would change content mcpc does not own; nothing written".to_owned());
    }
    Ok(())
}

/// Takes the owned names (map keys or list items) out of the container at
/// `path`, then drops containers left empty along it.
fn strip(value: &mut Value, path: &[&str], names: &BTreeSet<String>) {
    let Some((first, rest)) = path.split_first() else {
        match value {
            Value::Object(m) => m.retain(|k, _| !names.contains(k)),
            // A list of strings, or of inputs named by `id`.
            Value::Array(a) => a.retain(|v| {
                let name = v.as_str().or_else(|| v.get("id").and_then(Value::as_str));
                !name.is_some_and(|s| names.contains(s))
            }),
            _ => {}
        }
        return;
    };
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if let Some(child) = map.get_mut(*first) {
        strip(child, rest, names);
        let empty = match child {
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        };
        if empty {
            map.remove(*first);
        }
    }
}

#[cfg(test)]
mod tests;
