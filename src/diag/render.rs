//! Renderers: miette's graphical report for people, `short` for grep and
//! editors, `json` (one object per line) for tools; `github` and `sarif`
//! live in `ci.rs`.

use super::{Diagnostic, Label, Severity};
use crate::source::{SourceFile, SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use serde::Serialize;
use std::fmt;

/// `--message-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    Human,
    Short,
    Json,
    /// GitHub Actions workflow commands: annotations on the pull request
    Github,
    /// One SARIF 2.1.0 log, for code scanning
    Sarif,
}

/// Renders diagnostics against the files they point into.
pub struct Renderer<'a> {
    pub sources: &'a SourceMap,
    pub format: MessageFormat,
    pub color: bool,
}

impl Renderer<'_> {
    /// The text for one diagnostic, ending with a newline.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        match self.format {
            MessageFormat::Human => self.human(diagnostic),
            MessageFormat::Short => self.short(diagnostic),
            MessageFormat::Json => self.json(diagnostic),
            MessageFormat::Github => {
                super::ci::github(&super::ci::Finding::of(self.sources, diagnostic))
            }
            MessageFormat::Sarif => self.render_all(std::slice::from_ref(diagnostic)),
        }
    }

    /// The text for a whole run: one SARIF log holding every diagnostic,
    /// or in the other formats each diagnostic in turn.
    pub fn render_all(&self, diagnostics: &[Diagnostic]) -> String {
        match self.format {
            MessageFormat::Sarif => super::ci::sarif(
                &diagnostics
                    .iter()
                    .map(|d| super::ci::Finding::of(self.sources, d))
                    .collect::<Vec<_>>(),
            ),
            _ => diagnostics.iter().map(|d| self.render(d)).collect(),
        }
    }

    fn short(&self, d: &Diagnostic) -> String {
        let (file, line, column) = self.position(d.primary.span.file, d.primary.span.start);
        format!(
            "{}:{line}:{column}: {}[{}]: {}\n",
            super::sanitize(file),
            d.severity.name(),
            d.code,
            super::sanitize(&d.message)
        )
    }

    fn json(&self, d: &Diagnostic) -> String {
        let primary = self.json_span(&d.primary);
        let record = JsonDiagnostic {
            severity: d.severity.name(),
            code: d.code.name(),
            message: &d.message,
            file: primary.file,
            line: primary.line,
            column: primary.column,
            end_line: primary.end_line,
            end_column: primary.end_column,
            labels: d.labels.iter().map(|l| self.json_span(l)).collect(),
            help: d.help.as_deref(),
        };
        let mut line = serde_json::to_string(&record).expect("diagnostics serialize");
        line.push('\n');
        line
    }

    fn json_span<'s>(&'s self, label: &'s Label) -> JsonLabel<'s> {
        let (file, line, column) = self.position(label.span.file, label.span.start);
        let (_, end_line, end_column) = self.position(label.span.file, label.span.end);
        JsonLabel {
            message: &label.message,
            file,
            line,
            column,
            end_line,
            end_column,
        }
    }

    fn position(&self, file: crate::source::FileId, offset: u32) -> (&str, usize, usize) {
        let source = self.sources.get(file);
        let (line, column) = source.line_col(offset as usize);
        (&source.name, line, column)
    }

    fn human(&self, d: &Diagnostic) -> String {
        let theme = if self.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_links(false)
            .with_width(100);
        let mut out = String::new();
        handler
            .render_report(&mut out, &self.report(d))
            .expect("writing to a String cannot fail");
        out
    }

    /// The miette report: labels in the primary's file go on its snippet;
    /// labels in other files become related reports of their own.
    fn report(&self, d: &Diagnostic) -> Report<'_> {
        let file = d.primary.span.file;
        let mut labels = vec![labeled(&d.primary, true)];
        let mut related = Vec::new();
        for label in &d.labels {
            if label.span.file == file {
                labels.push(labeled(label, false));
            } else {
                related.push(Report {
                    message: super::sanitize(&label.message).into_owned(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: self.named_source(label.span),
                    labels: vec![labeled(label, true)],
                    related: Vec::new(),
                });
            }
        }
        Report {
            message: super::sanitize(&d.message).into_owned(),
            code: Some(d.code.name()),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help: d.help.as_deref().map(|h| super::sanitize(h).into_owned()),
            source: self.named_source(d.primary.span),
            labels,
            related,
        }
    }

    fn named_source(&self, span: Span) -> Window<'_> {
        Window(self.sources.get(span.file))
    }
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let text = (!label.message.is_empty()).then(|| super::sanitize(&label.message).into_owned());
    let span = SourceSpan::new((label.span.start as usize).into(), label.span.len());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'a str,
    code: &'a str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

/// A diagnostic in the shape miette renders.
#[derive(Debug)]
struct Report<'s> {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Window<'s>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'s>>,
}

/// A file as miette reads it, from the few lines around each span rather
/// than from the top of the file: rendering one diagnostic costs the size
/// of its snippet, not the size of the file. Lines, columns and offsets
/// are those miette would compute over the whole file.
#[derive(Debug)]
struct Window<'s>(&'s SourceFile);

impl SourceCode for Window<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let file = self.0;
        let (start, line) = file.window_start(span.offset(), context_lines_before);
        let relative = SourceSpan::new((span.offset() - start).into(), span.len());
        let inner = file.shown()[start..].read_span(
            &relative,
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(MietteSpanContents::new_named(
            super::sanitize(&file.name).into_owned(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + line,
            inner.column(),
            inner.line_count() + line,
        )))
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .map(|c| Box::new(format!("{}[{c}]", severity_word(self.severity))) as _)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as _)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn severity_word(severity: miette::Severity) -> &'static str {
    match severity {
        miette::Severity::Error => "error",
        miette::Severity::Warning => "warning",
        miette::Severity::Advice => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use miette::NamedSource;

    /// The windowed snippet renders exactly as miette does over the whole
    /// file, for spans at the top, the middle and the end, with `\r\n` and
    /// with a lone `\r` (where the window is the whole file).
    #[test]
    fn window_renders_as_the_whole_file_does() {
        for newline in ["\n", "\r\n", "\r"] {
            let text: String = (0..400)
                .map(|i| format!("  server \"s{i}\" {{ command = \"npx\" }}{newline}"))
                .collect();
            let mut sources = SourceMap::new();
            let at = |needle: &str| text.find(needle).unwrap() as u32;
            let file = sources.add(SourceFile::new("big.mcpc", text.clone()));
            let span = |start: u32| Span {
                file,
                start,
                end: start + 4,
            };
            let d = Diagnostic::new(Code::DuplicateLaunch, span(at("\"s200\"")), "again")
                .with_label("here")
                .with_secondary(span(at("\"s0\"")), "first")
                .with_secondary(span(at("\"s399\"")), "last")
                .with_secondary(span(at("\"s201\"")), "next");
            let renderer = Renderer {
                sources: &sources,
                format: MessageFormat::Human,
                color: false,
            };
            let windowed = renderer.human(&d);
            let whole = NamedSource::new("big.mcpc", text.clone());
            let report = renderer.report(&d);
            let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                .with_links(false)
                .with_width(100);
            let mut expected = String::new();
            handler
                .render_report(&mut expected, &WholeFile(&report, whole))
                .unwrap();
            assert_eq!(windowed, expected, "newline {newline:?}");
            assert!(windowed.contains("s200"), "{windowed}");
        }
    }

    /// Issue #15, item 19: text from outside — the file's contents in the
    /// snippet, its name, the message, labels and help — never reaches the
    /// terminal with an escape sequence, a BEL or a bidirectional override,
    /// in the human (with and without colour) and short renderers; offsets
    /// stay right (the underline is under the same characters).
    #[test]
    fn renderers_print_no_terminal_escapes() {
        let text = "plugin \"p\" {\n  // \u{1b}[2J\u{1b}]0;pwned\u{7} \u{202e}evil\u{9b}31m\n  colour = \"\u{1b}[31mred\"\n}\n";
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new("a\u{1b}[1mb.mcpc", text));
        let start = text.find("colour").unwrap() as u32;
        let d = Diagnostic::new(
            Code::UnknownAttribute,
            Span {
                file,
                start,
                end: start + 6,
            },
            "unknown `\u{1b}[31m` \u{7}",
        )
        .with_label("label \u{1b}[5m")
        .with_help("help \u{7}\u{2066}");
        for (format, color) in [
            (MessageFormat::Human, false),
            (MessageFormat::Human, true),
            (MessageFormat::Short, false),
        ] {
            let out = Renderer {
                sources: &sources,
                format,
                color,
            }
            .render(&d);
            // Colour is miette's own SGR sequences (`ESC[…m`), nothing else.
            let foreign = [
                "\u{1b}[2J",
                "\u{1b}]",
                "\u{1b}[31mred",
                "\u{1b}[1mb",
                "\u{1b}[5m",
            ];
            for bad in foreign {
                assert!(!out.contains(bad), "{format:?} {color}: {bad:?} in {out:?}");
            }
            for bad in ['\u{7}', '\u{9b}', '\u{202e}', '\u{2066}'] {
                assert!(!out.contains(bad), "{format:?} {color}: {bad:?} in {out:?}");
            }
            if !color {
                assert!(!out.contains('\u{1b}'), "{format:?}: {out:?}");
            }
            assert!(out.contains("a\\u{1b}[1mb.mcpc"), "{out}");
            assert!(out.contains("unknown `\\u{1b}[31m` \\u{7}"), "{out}");
            if format == MessageFormat::Human && !color {
                assert!(
                    out.contains("// ?[2J?]0;pwned? \u{fffd}evil\u{bf}31m"),
                    "{out}"
                );
                assert!(out.contains("label \\u{1b}[5m"), "{out}");
                assert!(out.contains("help \\u{7}\\u{2066}"), "{out}");
                // The underline is still under `colour`.
                let line = out.lines().find(|l| l.contains("colour =")).unwrap();
                let under = out
                    .lines()
                    .skip_while(|l| !l.contains("colour ="))
                    .nth(1)
                    .unwrap();
                let at = line[..line.find("colour").unwrap()].chars().count();
                let marks: String = under.chars().skip(at - 1).take(8).collect();
                assert!(
                    marks.starts_with(' ') && !marks[1..].starts_with(' '),
                    "{marks:?}\n{out}"
                );
            }
        }
    }

    /// A report read from the whole file, as before windowing.
    #[derive(Debug)]
    struct WholeFile<'r>(&'r Report<'r>, NamedSource<String>);

    impl fmt::Display for WholeFile<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }

    impl std::error::Error for WholeFile<'_> {}

    impl miette::Diagnostic for WholeFile<'_> {
        fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            self.0.code()
        }
        fn severity(&self) -> Option<miette::Severity> {
            self.0.severity()
        }
        fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            self.0.help()
        }
        fn source_code(&self) -> Option<&dyn SourceCode> {
            Some(&self.1)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
            self.0.labels()
        }
    }
}
