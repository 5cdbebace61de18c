//! Source files and spans.
//!
//! A compilation unit is a list of [`SourceFile`]s held by a [`SourceMap`];
//! every syntax node, IR field and diagnostic carries a [`Span`] into it.

use std::fmt;

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A value together with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// One `.mcpc` file: its name as the user wrote it, and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Where each line starts, made the first time a position is asked
    /// for (a build without diagnostics never asks: at 100,000 servers
    /// the index was 17 MB of the peak).
    line_starts: std::sync::OnceLock<Vec<u32>>,
    /// Whether some `\r` is not followed by `\n` (a line break for miette,
    /// not for `line_starts`).
    lone_cr: bool,
    /// The text as snippets show it, when it holds characters a terminal
    /// must not get ([`crate::diag::unsafe_char`]; `\r` kept): each one
    /// replaced by a visible character of the same length in bytes, so
    /// every offset stays valid. Made once per file, not per diagnostic.
    shown: Option<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        // Most files are printable ASCII, tabs and line feeds: no `\r`, no
        // character a terminal must not get, so nothing to look at closer.
        // A block at a time, each byte looked at without a branch (a loop
        // the compiler makes wide: this was 12 instructions a byte).
        let plain = text.as_bytes().chunks(64).all(|block| {
            block
                .iter()
                .fold(true, |ok, &b| ok & matches!(b, b' '..=b'~' | b'\t' | b'\n'))
        });
        let lone_cr = !plain
            && text
                .match_indices('\r')
                .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'));
        let shown = (!plain
            && text
                .chars()
                .any(|c| c != '\r' && crate::diag::unsafe_char(c)))
        .then(|| {
            text.chars()
                .map(|c| match c.len_utf8() {
                    _ if c == '\r' || !crate::diag::unsafe_char(c) => c,
                    1 => '?',
                    2 => '\u{bf}',   // ¿
                    _ => '\u{fffd}', // the replacement character, 3 bytes
                })
                .collect()
        });
        SourceFile {
            name: name.into(),
            text,
            line_starts: std::sync::OnceLock::new(),
            lone_cr,
            shown,
        }
    }

    /// The text as a terminal may show it: [`SourceFile::text`] with each
    /// character a terminal must not get replaced by a visible one of the
    /// same byte length (`?`, `¿` or `\u{fffd}`).
    pub fn shown(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.text)
    }

    /// The 0-based line holding a byte offset (at most the text's
    /// length), and where that line starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s as usize <= offset) - 1;
        (line, starts[line] as usize)
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            // Offsets fit in 32 bits, as spans' do.
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i as u32 + 1))
                .collect()
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let (line, start) = self.line_of(offset);
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }

    /// The byte offset and 0-based index of the line `before` lines above
    /// the one holding `offset`: where a snippet with that much context
    /// starts. With a lone `\r` in the file, line breaks are counted
    /// differently by the renderer, so the whole file is the window.
    pub fn window_start(&self, offset: usize, before: usize) -> (usize, usize) {
        if self.lone_cr {
            return (0, 0);
        }
        let offset = offset.min(self.text.len());
        let (line, _) = self.line_of(offset);
        let first = line.saturating_sub(before);
        (self.line_starts()[first] as usize, first)
    }

    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    /// 0-based line and UTF-16 column of a byte offset (the editor
    /// protocol's positions).
    pub fn line_utf16(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, start) = self.line_of(offset);
        let column = self.text[start..offset].encode_utf16().count();
        (line, column)
    }
}

/// Every file of a compilation unit, in the order they were given.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// `mcpc.lock` beside the unit, if there is one (read by the CLI).
    lock: Option<crate::registry::lock::LockText>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).slice(span)
    }

    /// Gives the unit its `mcpc.lock`: registry references resolve against it.
    pub fn set_lock(&mut self, lock: crate::registry::lock::LockText) {
        self.lock = Some(lock);
    }

    pub fn lock(&self) -> Option<&crate::registry::lock::LockText> {
        self.lock.as_ref()
    }

    /// Replaces each character of `span` (quotes kept) by a mask character
    /// of the same length in bytes (`*`, `×`, `∗`, or `🔒` for four), so
    /// that spans stay valid, columns (counted in characters) stay those
    /// of the text as written, and a secret is never shown in a snippet.
    pub fn mask(&mut self, span: Span) {
        let file = &mut self.files[span.file.0 as usize];
        let (start, end) = (span.start as usize, span.end as usize);
        let Some(slice) = file.text.get(start..end) else {
            return;
        };
        let quoted = slice.len() >= 2 && slice.starts_with('"') && slice.ends_with('"');
        let last = slice.len() - usize::from(quoted);
        let masked: String = slice
            .char_indices()
            .map(|(i, c)| match c.len_utf8() {
                _ if quoted && (i == 0 || i == last) => '"',
                1 => '*',
                2 => '\u{d7}',
                3 => '\u{2217}',
                _ => '\u{1f512}',
            })
            .collect();
        file.text.replace_range(start..end, &masked);
        // The shown copy too: snippets are cut from it.
        if let Some(shown) = &mut file.shown {
            shown.replace_range(start..end, &masked);
        }
    }

    /// A copy holding the same files.
    pub fn clone_files(&self) -> SourceMap {
        let mut copy = SourceMap::new();
        for (_, f) in self.files() {
            copy.add(SourceFile::new(f.name.clone(), f.text.clone()));
        }
        copy.lock = self.lock.clone();
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_is_made_when_a_position_is_first_asked_for() {
        let f = SourceFile::new("a.mcpc", "a\r\nbé\n\ncd");
        assert!(f.line_starts.get().is_none());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_starts.get().map(Vec::len), Some(4));
        // After `é` (2 bytes): column in characters, and UTF-16 units.
        assert_eq!(f.line_col(6), (2, 3));
        assert_eq!(f.line_utf16(6), (1, 2));
        assert_eq!(f.line_col(7), (3, 1));
        assert_eq!(f.line_col(99), (4, 3));
        assert_eq!(f.window_start(8, 1), (7, 2));
        assert_eq!(f.window_start(8, 9), (0, 0));
    }

    #[test]
    fn only_text_with_unsafe_characters_gets_a_shown_copy() {
        for plain in ["", "a = 1\n", "\tx = \"~ !\"\n\n", "é = \"ü\"\r\n"] {
            let file = SourceFile::new("f", plain);
            assert!(file.shown.is_none(), "{plain:?}");
            assert!(!file.lone_cr, "{plain:?}");
            assert_eq!(file.shown(), plain);
        }
        let file = SourceFile::new("f", "a\rb\n");
        assert!(file.shown.is_none() && file.lone_cr);
        for (text, shown) in [
            ("x\u{1b}[2J\n", "x?[2J\n"),
            ("a\u{7f}\u{85}\u{202e}\n", "a?\u{bf}\u{fffd}\n"),
        ] {
            let file = SourceFile::new("f", text);
            assert_eq!(file.shown(), shown);
            assert_eq!(file.text, text);
        }
        // Past the first block of 64 bytes, and at its last byte.
        for at in [63, 64, 200] {
            let text = format!("{}\u{1b}\n", "a".repeat(at));
            let file = SourceFile::new("f", text.as_str());
            assert_eq!(file.shown(), format!("{}?\n", "a".repeat(at)), "{at}");
        }
    }

    /// Snippets are cut from the shown copy: a masked secret is masked in it.
    #[test]
    fn a_masked_secret_is_masked_in_the_shown_copy() {
        let mut map = SourceMap::new();
        let text = "k = \"hunter2\" # \u{1b}\n";
        let id = map.add(SourceFile::new("f", text));
        map.mask(Span::new(id, 4, 13));
        assert_eq!(map.get(id).text, "k = \"*******\" # \u{1b}\n");
        assert_eq!(map.get(id).shown(), "k = \"*******\" # ?\n");
    }

    #[test]
    fn a_masked_secret_keeps_its_bytes_and_its_characters() {
        let text = "x = \"é∗🔑a\" # after\n";
        let mut map = SourceMap::new();
        let id = map.add(SourceFile::new("a", text));
        let span = Span::new(id, 4, 4 + "\"é∗🔑a\"".len());
        let before: Vec<_> = (0..=text.len())
            .filter(|&o| text.is_char_boundary(o))
            .map(|o| map.get(id).line_col(o))
            .collect();
        map.mask(span);
        let masked = &map.get(id).text;
        assert_eq!(masked, "x = \"×∗🔒*\" # after\n");
        assert_eq!(masked.len(), text.len());
        let after: Vec<_> = (0..=text.len())
            .filter(|&o| text.is_char_boundary(o))
            .map(|o| map.get(id).line_col(o))
            .collect();
        assert_eq!(before, after);
    }

    #[test]
    fn line_col_counts_characters_from_one() {
        let f = SourceFile::new("a", "ab\nçd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2)); // after the two-byte `ç`
        assert_eq!(f.line_col(7), (3, 1));
    }

    #[test]
    fn utf16_positions_inside_a_character_are_its_start() {
        let f = SourceFile::new("a", "ab\n\u{feff}d\n");
        assert_eq!(f.line_utf16(3), (1, 0));
        assert_eq!(f.line_utf16(4), (1, 0)); // inside the BOM: no panic
        assert_eq!(f.line_utf16(6), (1, 1));
    }
}
