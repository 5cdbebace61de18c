//! Typed readings of syntax values: each reports `type-mismatch`,
//! `invalid-value` or `unknown-reference` against the value's span and
//! returns `None`, so lowering carries on.

use super::{Millis, Part, Ref, Str};
use crate::diag::{Code, Diagnostic, Sink, nearest};
use crate::parse::ast::{StrPart, Value, ValueKind};
use crate::source::{Span, Spanned};
use crate::target::Target;

pub(super) fn mismatch(sink: &mut Sink, value: &Value, expected: &str) {
    let mut d = Diagnostic::new(
        Code::TypeMismatch,
        value.span,
        format!("expected {expected}, found {}", value.describe()),
    )
    .with_label(format!("expected {expected}"));
    // A bare word or number where text is expected: the quotes are missing.
    if expected == "a string"
        && let ValueKind::Number(text) | ValueKind::Ident(text) = &value.kind
    {
        d = d.with_help(format!("write it in quotes: `\"{text}\"`"));
    }
    sink.push(d);
}

/// A string with no interpolation.
pub(super) fn plain_string(sink: &mut Sink, value: &Value) -> Option<Spanned<String>> {
    match &value.kind {
        ValueKind::Str(_) => match value.as_name() {
            Some(text) => Some(Spanned::new(text.to_owned(), value.span)),
            None => {
                sink.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        value.span,
                        "this value cannot contain `${…}`",
                    )
                    .with_label("interpolation not allowed here")
                    .with_help("write the text itself; escape a literal `$` as `\\$`"),
                );
                None
            }
        },
        _ => {
            mismatch(sink, value, "a string");
            None
        }
    }
}

/// A string that may hold references, or a whole-value reference.
pub(super) fn str_value(sink: &mut Sink, value: &Value) -> Option<Spanned<Str>> {
    match &value.kind {
        ValueKind::Str(parts) => {
            let mut out = Str {
                parts: super::Parts::with_capacity(parts.len()),
            };
            let mut ok = true;
            for part in parts {
                match part {
                    StrPart::Text(text) => out.parts.push(Part::Lit(text.as_str().into())),
                    StrPart::Interpolation {
                        body,
                        span,
                        body_span,
                    } => match interpolation(sink, body, *body_span) {
                        Some(r) => out.parts.push(Part::Ref(Box::new(Spanned::new(r, *span)))),
                        None => ok = false,
                    },
                }
            }
            ok.then(|| Spanned::new(out, value.span))
        }
        ValueKind::Reference { namespace, name } => {
            let body = format!("{}.{}", namespace.text, name.text);
            let r = interpolation(sink, &body, value.span)?;
            Some(Spanned::new(
                Str {
                    parts: smallvec::smallvec![Part::Ref(Box::new(Spanned::new(r, value.span)))],
                },
                value.span,
            ))
        }
        _ => {
            mismatch(sink, value, "a string");
            None
        }
    }
}

/// The inside of `${…}` (or a whole-value reference).
fn interpolation(sink: &mut Sink, body: &str, span: Span) -> Option<Ref> {
    let (head, default) = match body.split_once(":-") {
        Some((head, default)) => (head, Some(default.to_owned())),
        None => (body, None),
    };
    let reference = match head.split_once('.') {
        Some(("env", name)) => Ref::Env {
            name: name.to_owned(),
            default,
        },
        Some(("secret", name)) if default.is_none() => Ref::Secret {
            name: name.to_owned(),
        },
        Some(("secret", _)) => {
            sink.push(
                Diagnostic::new(Code::InvalidValue, span, "a secret cannot have a default")
                    .with_label("default on a secret")
                    .with_help("a default would be a secret in plain text; remove `:-…`"),
            );
            return None;
        }
        Some(("plugin", "root")) if default.is_none() => Ref::PluginRoot,
        Some(("project", "root")) if default.is_none() => Ref::ProjectRoot,
        _ => {
            let help = if is_var_name(head) {
                format!("write `${{env.{head}}}`, or `${{secret.{head}}}` if it is sensitive")
            } else {
                "references are `env.NAME`, `${env.NAME:-default}`, `secret.NAME`, `plugin.root` and `project.root`"
                    .to_owned()
            };
            sink.push(
                Diagnostic::new(
                    Code::UnknownReference,
                    span,
                    format!("unknown reference `{body}`"),
                )
                .with_label("not a known reference")
                .with_help(help),
            );
            return None;
        }
    };
    if let Some(name) = reference.var()
        && !is_var_name(name)
    {
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                span,
                format!("`{name}` is not a valid environment variable name"),
            )
            .with_label("invalid variable name")
            .with_help("a variable name matches `[A-Za-z_][A-Za-z0-9_]*`"),
        );
        return None;
    }
    Some(reference)
}

pub(super) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn duration(sink: &mut Sink, value: &Value) -> Option<Spanned<Millis>> {
    let text = match &value.kind {
        ValueKind::Number(text) => text,
        ValueKind::Str(_) if value.as_name().is_some_and(|t| parse_duration(t).is_some()) => {
            let text = value.as_name().unwrap_or_default();
            sink.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    "expected a duration, found a string",
                )
                .with_label("expected a duration")
                .with_help(format!("write it without quotes: `{text}`")),
            );
            return None;
        }
        _ => {
            mismatch(sink, value, "a duration");
            return None;
        }
    };
    if let Some((whole, rest)) = text.split_once('.') {
        let fraction: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let unit = &rest[fraction.len()..];
        let amount = format!("{whole}.{fraction}").parse::<f64>().ok();
        let per = parse_duration(&format!("1{unit}"));
        let help = match amount.zip(per) {
            Some((amount, per)) if (amount * per as f64).fract() == 0.0 => format!(
                "durations are whole numbers: write `{}ms`",
                (amount * per as f64) as u64
            ),
            _ => "durations are whole numbers of `ms`, `s`, `m` or `h`".to_owned(),
        };
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                value.span,
                format!("`{text}` is not a valid duration"),
            )
            .with_label("a fraction")
            .with_help(help),
        );
        return None;
    }
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == text.len() {
        sink.push(
            Diagnostic::new(
                Code::TypeMismatch,
                value.span,
                "expected a duration, found an integer",
            )
            .with_label("this duration has no unit")
            .with_help(format!(
                "add a unit: `{text}s` (units: `ms`, `s`, `m`, `h`)"
            )),
        );
        return None;
    }
    match parse_duration(text) {
        Some(ms) => Some(Spanned::new(ms, value.span)),
        None => {
            let unit = &text[digits_end..];
            sink.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    value.span,
                    format!("`{text}` is not a valid duration"),
                )
                .with_label(format!("unknown unit `{unit}` or too large"))
                .with_help(
                    "write a whole number with `ms`, `s`, `m` or `h`, such as `500ms` or `2m`",
                ),
            );
            None
        }
    }
}

fn parse_duration(text: &str) -> Option<Millis> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let amount: u64 = text[..split].parse().ok()?;
    let factor = match &text[split..] {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    amount.checked_mul(factor)
}

pub(super) fn boolean(sink: &mut Sink, value: &Value) -> Option<Spanned<bool>> {
    match &value.kind {
        ValueKind::Ident(t) if t == "true" => Some(Spanned::new(true, value.span)),
        ValueKind::Ident(t) if t == "false" => Some(Spanned::new(false, value.span)),
        ValueKind::Str(_) if matches!(value.as_name(), Some("true" | "false")) => {
            let text = value.as_name().unwrap_or_default();
            sink.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    "expected `true` or `false`, found a string",
                )
                .with_label("expected a boolean")
                .with_help(format!("write it without quotes: `{text}`")),
            );
            None
        }
        _ => {
            mismatch(sink, value, "`true` or `false`");
            None
        }
    }
}

/// One of a fixed set of names, written bare (`kind = platform`) or quoted.
pub(super) fn one_of<T: Copy>(
    sink: &mut Sink,
    value: &Value,
    what: &str,
    options: &[(&str, T)],
) -> Option<Spanned<T>> {
    let text = match (&value.kind, value.as_name()) {
        (ValueKind::Ident(_) | ValueKind::Str(_), Some(text)) => text,
        _ => {
            mismatch(sink, value, what);
            return None;
        }
    };
    if let Some((_, v)) = options.iter().find(|(name, _)| *name == text) {
        return Some(Spanned::new(*v, value.span));
    }
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let help = match nearest(text, names.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("use one of {}", backticked(&names)),
    };
    sink.push(
        Diagnostic::new(
            Code::InvalidValue,
            value.span,
            format!("`{text}` is not a valid {what}"),
        )
        .with_label(format!("expected {}", backticked(&names)))
        .with_help(help),
    );
    None
}

pub(super) fn target(sink: &mut Sink, value: &Value) -> Option<Spanned<Target>> {
    let Some(text) = value.as_name() else {
        mismatch(sink, value, "a target name");
        return None;
    };
    if let Some(t) = Target::from_name(text) {
        return Some(Spanned::new(t, value.span));
    }
    let help = match nearest(text, Target::ALL.iter().map(|t| t.name())) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!(
            "the targets are {}",
            backticked(&Target::ALL.iter().map(|t| t.name()).collect::<Vec<_>>())
        ),
    };
    sink.push(
        Diagnostic::new(
            Code::UnknownTarget,
            value.span,
            format!("unknown target `{text}`"),
        )
        .with_label("not a target")
        .with_help(help),
    );
    None
}

/// A list whose items are read by `item`; bad items are reported and left
/// out.
pub(super) fn list<T>(
    sink: &mut Sink,
    value: &Value,
    what: &str,
    mut item: impl FnMut(&mut Sink, &Value) -> Option<T>,
) -> Option<Spanned<Vec<T>>> {
    match &value.kind {
        ValueKind::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            out.extend(items.iter().filter_map(|v| item(sink, v)));
            Some(Spanned::new(out, value.span))
        }
        _ => {
            let help = match &value.kind {
                ValueKind::Str(_) => "wrap it in brackets: `[\"…\"]`",
                _ => "write a list: `[a, b]`",
            };
            sink.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    format!("expected a list of {what}, found {}", value.describe()),
                )
                .with_label("expected a list")
                .with_help(help),
            );
            None
        }
    }
}

pub(super) fn backticked(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
