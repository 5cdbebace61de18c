//! `mcpc lsp`: a language server on stdio, on `lsp-server`'s messages and
//! `lsp-types`' protocol types. The frames are read by [`frame`] (a malformed
//! one is answered with `-32700` and the server goes on). Diagnostics are
//! published for the whole compilation unit — the `.mcpc` files under the
//! workspace root ([`workspace`]: walked once, then kept current from
//! watched-file events), with open documents' unsaved text in place of the
//! files — because names are global across files. Each file is parsed
//! once per text (a keystroke re-parses only the file it changed; the
//! index comes from the same parse), the backends run only for what they
//! report, as in `mcpc check`, and again only for the files whose text
//! changed (`Compilation::check_targets_cached`), whose lists are turned
//! into protocol diagnostics once each; a file's diagnostics are sent again
//! only when they change or its document does. Documents sync
//! incrementally. It also formats documents (`mcpc fmt`) and shows
//! `mcpc explain` on hover over a diagnostic. It never writes a file.

#[doc(hidden)]
pub mod frame; // public for the fuzz targets (fuzz/bodies.rs)
mod workspace;

use crate::LoweredFile;
use crate::diag::{Diagnostic, LintLevels, Severity};
use crate::ide::{self, Index};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use frame::Frame;
use lsp_server::{Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::Url;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use workspace::Disk;

/// A published diagnostic: where, its code, and the compiler's diagnostic
/// (its fixes become code actions when asked for).
struct Published {
    range: lsp::Range,
    code: &'static str,
    diagnostic: lsp::Diagnostic,
    source: crate::diag::Diagnostic,
}

/// One file's published diagnostics, in two parts: the compilation's own
/// (front end and checks, a few), and what the backends report about its
/// plugins (thousands, in a unit with gaps), converted once per list that
/// `Compilation::check_targets_cached` gives: while the file's text and
/// levels stay, a keystroke elsewhere reuses them as they are.
#[derive(Default)]
struct FileDiagnostics {
    front: Vec<Published>,
    back: Rc<[Published]>,
    /// The backends' list `back` was converted from.
    back_of: Option<Rc<[Diagnostic]>>,
}

impl FileDiagnostics {
    fn iter(&self) -> impl Iterator<Item = &Published> {
        self.front.iter().chain(self.back.iter())
    }

    fn is_empty(&self) -> bool {
        self.front.is_empty() && self.back.is_empty()
    }

    /// The protocol's diagnostics in `mcpc check`'s order: both parts
    /// merged by position, the front end's first where they sort alike.
    fn merged(&self) -> Vec<&lsp::Diagnostic> {
        let mut out = Vec::with_capacity(self.front.len() + self.back.len());
        let (mut front, mut back) = (self.front.iter().peekable(), self.back.iter().peekable());
        loop {
            let next = match (front.peek(), back.peek()) {
                (Some(f), Some(b)) if b.source.sort_key() < f.source.sort_key() => back.next(),
                (Some(_), _) => front.next(),
                (None, _) => back.next(),
            };
            match next {
                Some(p) => out.push(&p.diagnostic),
                None => return out,
            }
        }
    }
}

/// A message to send: one of `lsp-server`'s, or a notification already
/// written as JSON. Diagnostics are written straight from where they are
/// kept: the thousands of a unit with gaps, copied into a `Value` tree to
/// make a `Message`, took a third of a keystroke.
enum Outgoing {
    Message(Message),
    Json(String),
}

impl Outgoing {
    /// `textDocument/publishDiagnostics` for `uri`, as `lsp-server` would
    /// write it from `lsp_types::PublishDiagnosticsParams`.
    fn diagnostics(uri: &Url, diagnostics: &[&lsp::Diagnostic]) -> Outgoing {
        #[derive(serde::Serialize)]
        struct Publish<'a> {
            jsonrpc: &'static str,
            method: &'static str,
            params: Params<'a>,
        }
        #[derive(serde::Serialize)]
        struct Params<'a> {
            uri: &'a Url,
            diagnostics: &'a [&'a lsp::Diagnostic],
        }
        let publish = Publish {
            jsonrpc: "2.0",
            method: "textDocument/publishDiagnostics",
            params: Params { uri, diagnostics },
        };
        Outgoing::Json(serde_json::to_string(&publish).expect("diagnostics serialize"))
    }

    fn write(self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Outgoing::Message(m) => m.write(out),
            Outgoing::Json(body) => write_frame(out, &body),
        }
    }
}

/// One frame of the protocol: its header, then `body`.
fn write_frame(out: &mut impl Write, body: &str) -> std::io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// What was last sent for a URI: its front-end diagnostics as sent, and
/// the backends' list they were sent with.
struct Sent {
    front: Vec<lsp::Diagnostic>,
    back: Rc<[Published]>,
}

#[derive(Default)]
struct Server {
    disk: Disk,
    /// Open documents by URI (as the client names them): their current text.
    open: BTreeMap<Url, String>,
    /// The diagnostics last sent for each URI that got some: a URI is sent
    /// again only when they change (or its document does), and sent none
    /// to clear them.
    sent: BTreeMap<Url, Sent>,
    /// The diagnostics last published, for hover and code actions.
    last: BTreeMap<Url, FileDiagnostics>,
    /// Whether the client registers file watchers for us.
    watch: bool,
    /// Messages to send, in order.
    outbox: Vec<Outgoing>,
    /// The unit and its index as of the last change.
    cache: Option<Lookup>,
    /// Each file of the unit parsed, as of its text: a keystroke re-parses
    /// only the file it changed.
    parsed: BTreeMap<Url, Parsed>,
    /// What each target's backend reported per file, as of its text: a
    /// keystroke runs the backends again only for the file it changed.
    reports: crate::BackendReports,
    /// The semantic tokens last sent per document, under their result id,
    /// for `semanticTokens/full/delta`.
    tokens: BTreeMap<Url, (String, Vec<lsp::SemanticToken>)>,
    /// The last result id handed out.
    tokens_id: u64,
}

pub(crate) fn run() -> Result<u8, super::UsageError> {
    let stdin = std::io::stdin();
    let mut input = frame::Reader::new(stdin.lock());
    let mut out = std::io::stdout().lock();
    let mut server = Server::default();
    loop {
        let Ok(frame) = input.read() else {
            return Ok(super::OK);
        };
        match frame {
            Frame::Eof => return Ok(super::OK),
            Frame::Malformed { code, message, id } => {
                let error = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
                let _ = write_frame(&mut out, &error.to_string());
            }
            Frame::Message(Message::Request(request)) => {
                let response = server.request(request);
                server
                    .outbox
                    .push(Outgoing::Message(Message::Response(response)));
            }
            Frame::Message(Message::Notification(n)) if n.method == "exit" => {
                return Ok(super::OK);
            }
            Frame::Message(Message::Notification(n)) => server.notify(n),
            // Answers to our `client/registerCapability`.
            Frame::Message(Message::Response(_)) => {}
        }
        for message in server.outbox.drain(..) {
            if message.write(&mut out).is_err() {
                return Ok(super::OK);
            }
        }
    }
}

/// The server's own handlers in process, without stdio: the entry point
/// of the benchmark harness (`benches/lsp.rs`).
#[doc(hidden)]
#[derive(Default)]
pub struct Session(Server);

impl Session {
    /// A notification; returns what the server sent.
    pub fn notify(&mut self, method: &str, params: Value) -> Vec<Value> {
        self.0.notify(Notification::new(method.into(), params));
        let sent = self.0.outbox.drain(..);
        sent.map(|m| match m {
            Outgoing::Message(m) => json!(m),
            Outgoing::Json(body) => serde_json::from_str(&body).expect("the server's JSON"),
        })
        .collect()
    }

    /// A notification; returns the bytes the server writes to its client
    /// for it, framed as on stdio (what the benchmark times: handling and
    /// writing, as `mcpc lsp` does).
    pub fn notify_wire(&mut self, method: &str, params: Value) -> Vec<u8> {
        self.0.notify(Notification::new(method.into(), params));
        let mut out = Vec::new();
        for message in self.0.outbox.drain(..) {
            message.write(&mut out).expect("writing to memory");
        }
        out
    }

    /// A request; returns its result (or error).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self
            .0
            .request(Request::new(RequestId::from(1), method.into(), params));
        self.0.outbox.clear();
        response
            .result
            .unwrap_or_else(|| json!(response.error.map(|e| e.message)))
    }
}

/// A message's parameters; an error is an `InvalidParams` answer.
fn params<P: serde::de::DeserializeOwned>(value: Value) -> Result<P, (i32, String)> {
    serde_json::from_value(value)
        .map_err(|e| (lsp_server::ErrorCode::InvalidParams as i32, e.to_string()))
}

impl Server {
    fn request(&mut self, request: Request) -> Response {
        if self.cache.is_none() {
            let (sources, uris) = self.unit();
            let (index, _) = self.parse(&sources, &uris);
            self.cache = Some(Lookup {
                sources,
                uris,
                index,
            });
        }
        let id = request.id.clone();
        let result = match request.method.as_str() {
            "initialize" => params(request.params).map(|p| self.initialize(p)),
            "shutdown" => Ok(Value::Null),
            "textDocument/formatting" => params(request.params).map(|p| self.formatting(p)),
            "textDocument/hover" => params(request.params).map(|p| self.hover(p)),
            "textDocument/completion" => params(request.params).map(|p| self.completion(p)),
            "textDocument/definition" => params(request.params).map(|p| self.definition(p)),
            "textDocument/references" => params(request.params).map(|p| self.references(p)),
            "textDocument/rename" => params(request.params).and_then(|p| self.rename(p)),
            "textDocument/documentSymbol" => {
                params(request.params).map(|p| self.document_symbols(p))
            }
            "workspace/symbol" => params(request.params).map(|p| self.workspace_symbols(p)),
            "textDocument/foldingRange" => params(request.params).map(|p| self.folding(p)),
            "textDocument/codeAction" => params(request.params).map(|p| self.code_actions(p)),
            "textDocument/semanticTokens/full" => {
                params(request.params).map(|p: lsp::SemanticTokensParams| {
                    self.semantic_tokens(p.text_document.uri, None)
                })
            }
            "textDocument/semanticTokens/full/delta" => {
                params(request.params).map(|p: lsp::SemanticTokensDeltaParams| {
                    self.semantic_tokens(p.text_document.uri, Some(p.previous_result_id))
                })
            }
            method => Err((
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("`{method}` is not supported"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code, message),
        }
    }

    fn notify(&mut self, n: Notification) {
        use lsp::notification::{self as note, Notification as _};
        let touched = match n.method.as_str() {
            note::Initialized::METHOD => {
                self.register_watchers();
                None
            }
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) = params::<lsp::DidOpenTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                self.open.insert(uri.clone(), p.text_document.text);
                Some(uri)
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) = params::<lsp::DidChangeTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                let Some(text) = self.open.get_mut(&uri) else {
                    return;
                };
                for change in p.content_changes {
                    apply(text, change);
                }
                Some(uri)
            }
            note::DidSaveTextDocument::METHOD => {
                let Ok(p) = params::<lsp::DidSaveTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                if let Ok(path) = uri.to_file_path() {
                    self.disk.refresh(&path);
                }
                Some(uri)
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) = params::<lsp::DidCloseTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                self.open.remove(&uri);
                self.tokens.remove(&uri);
                if let Ok(path) = uri.to_file_path() {
                    self.disk.refresh(&path);
                }
                Some(uri)
            }
            note::DidChangeWatchedFiles::METHOD => {
                let Ok(p) = params::<lsp::DidChangeWatchedFilesParams>(n.params) else {
                    return;
                };
                for change in p.changes {
                    if let Ok(path) = change.uri.to_file_path() {
                        self.disk.refresh(&path);
                    }
                }
                None
            }
            _ => return,
        };
        self.publish(touched);
    }

    fn initialize(&mut self, p: lsp::InitializeParams) -> Value {
        #[allow(deprecated)]
        let root = p
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or(p.root_uri.clone())
            .and_then(|u| u.to_file_path().ok())
            .or_else(|| p.root_path.as_ref().map(PathBuf::from));
        if let Some(root) = root {
            self.disk = Disk::load(root);
        }
        self.watch = p
            .capabilities
            .workspace
            .and_then(|w| w.did_change_watched_files)
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        // The unit is the one just loaded.
        self.cache = None;
        let capabilities = lsp::ServerCapabilities {
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            document_formatting_provider: Some(lsp::OneOf::Left(true)),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            completion_provider: Some(lsp::CompletionOptions {
                trigger_characters: Some(vec![".".into(), "\"".into(), " ".into()]),
                ..Default::default()
            }),
            definition_provider: Some(lsp::OneOf::Left(true)),
            references_provider: Some(lsp::OneOf::Left(true)),
            rename_provider: Some(lsp::OneOf::Left(true)),
            document_symbol_provider: Some(lsp::OneOf::Left(true)),
            workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
            folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
            semantic_tokens_provider: Some(
                lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                    lsp::SemanticTokensOptions {
                        legend: lsp::SemanticTokensLegend {
                            token_types: ide::TOKEN_TYPES
                                .iter()
                                .map(|t| lsp::SemanticTokenType::new(t))
                                .collect(),
                            token_modifiers: ide::TOKEN_MODIFIERS
                                .iter()
                                .map(|m| lsp::SemanticTokenModifier::new(m))
                                .collect(),
                        },
                        full: Some(lsp::SemanticTokensFullOptions::Delta { delta: Some(true) }),
                        ..Default::default()
                    },
                ),
            ),
            ..Default::default()
        };
        json!(lsp::InitializeResult {
            capabilities,
            server_info: Some(lsp::ServerInfo {
                name: "mcpc".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    /// Asks the client to watch the unit's files, so the disk copy follows
    /// edits made outside the editor without re-walking.
    fn register_watchers(&mut self) {
        if self.disk.truncated {
            self.show(format!(
                "mcpc: the workspace has more than {} `.mcpc` files; only the first are checked",
                workspace::MAX_FILES
            ));
        }
        if !self.watch {
            return;
        }
        let options = lsp::DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String("**/*.mcpc".into()),
                kind: None,
            }],
        };
        let registration = lsp::RegistrationParams {
            registrations: vec![lsp::Registration {
                id: "mcpc-watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: Some(json!(options)),
            }],
        };
        self.outbox
            .push(Outgoing::Message(Message::Request(Request::new(
                RequestId::from("mcpc-watch".to_owned()),
                "client/registerCapability".into(),
                registration,
            ))));
    }

    fn show(&mut self, message: String) {
        self.outbox
            .push(Outgoing::Message(Message::Notification(Notification::new(
                "window/showMessage".into(),
                lsp::ShowMessageParams {
                    typ: lsp::MessageType::WARNING,
                    message,
                },
            ))));
    }

    /// The unit: the files on disk with open documents' text in their place,
    /// then open documents that are not on disk; with each file's URI.
    fn unit(&self) -> (SourceMap, Vec<Url>) {
        let open_paths: BTreeMap<PathBuf, &Url> = self
            .open
            .keys()
            .filter_map(|u| u.to_file_path().ok().map(|p| (p, u)))
            .collect();
        let mut sources = SourceMap::new();
        let mut uris = Vec::new();
        let mut taken = BTreeSet::new();
        for (path, text) in &self.disk.files {
            let (uri, text) = match open_paths.get(path) {
                Some(&uri) => (uri.clone(), &self.open[uri]),
                None => match Url::from_file_path(path) {
                    Ok(uri) => (uri, text),
                    Err(()) => continue,
                },
            };
            sources.add(SourceFile::new(path.display().to_string(), text.clone()));
            taken.insert(uri.clone());
            uris.push(uri);
        }
        for (uri, text) in &self.open {
            if !taken.contains(uri) {
                let name = uri
                    .to_file_path()
                    .map_or(uri.to_string(), |p| p.display().to_string());
                sources.add(SourceFile::new(name, text.clone()));
                uris.push(uri.clone());
            }
        }
        // Registry references resolve against the workspace's `mcpc.lock`,
        // as on the command line (an unreadable one is as none).
        if let Some(root) = &self.disk.root
            && let Ok(Some(lock)) = super::files::read_lock(root)
        {
            sources.set_lock(lock);
        }
        (sources, uris)
    }

    /// Each file of the unit parsed and lowered, from the cache when its
    /// text has not changed (the cache then holds the unit's files only):
    /// the unit's index, and each file's share of the unit in order.
    fn parse(&mut self, sources: &SourceMap, uris: &[Url]) -> (Index, Vec<LoweredFile>) {
        let mut index = Index::default();
        let mut lowered = Vec::new();
        let mut parsed = BTreeMap::new();
        for (id, file) in sources.files() {
            let uri = &uris[id.0 as usize];
            let p = match self.parsed.remove(uri) {
                Some(p) if p.id == id && p.text == file.text => p,
                _ => Parsed::new(id, &file.text),
            };
            index.append(&p.index);
            lowered.push(p.lowered.clone());
            parsed.insert(uri.clone(), p);
        }
        self.parsed = parsed;
        (index, lowered)
    }

    /// Compiles the unit and publishes the diagnostics that changed: for
    /// `touched` (the document a notification named) always, and for every
    /// other file whose diagnostics are not those last sent for it.
    fn publish(&mut self, touched: Option<Url>) {
        let (sources, uris) = self.unit();
        let (mut index, lowered) = self.parse(&sources, &uris);
        // A file mid-keystroke does not parse: completion still offers the
        // names it defined when it last did.
        if let Some(previous) = &self.cache {
            for &file in &index.unparsed.clone() {
                let uri = &uris[file.0 as usize];
                if let Some(was) = previous.uris.iter().position(|u| u == uri) {
                    index.keep_names(file, &previous.index, FileId(was as u32));
                }
            }
        }
        // The compiler masks literal secrets in the sources it gives back;
        // fixes are computed, and ranges counted, on the text as written
        // (and never show it).
        let unmasked = sources.clone_files();
        // What `mcpc check` reports: the front end's, then what each
        // target's backend cannot express.
        let mut c = crate::Compilation::from_files(sources, lowered, LintLevels::default());
        let backends = c.check_targets_cached(&crate::backends::Plan::default(), &mut self.reports);
        let (_, diagnostics) = c.finish();
        let mut last = std::mem::take(&mut self.last);
        for (i, list) in backends.into_iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let uri = &uris[i];
            let back = match last.remove(uri) {
                Some(f) if f.back_of.as_ref().is_some_and(|was| Rc::ptr_eq(was, &list)) => f.back,
                _ => list
                    .iter()
                    .map(|d| published(&unmasked, &uris, d.clone()))
                    .collect(),
            };
            self.last.insert(
                uri.clone(),
                FileDiagnostics {
                    front: Vec::new(),
                    back,
                    back_of: Some(list),
                },
            );
        }
        for d in diagnostics {
            let uri = &uris[d.primary.span.file.0 as usize];
            let p = published(&unmasked, &uris, d);
            self.last.entry(uri.clone()).or_default().front.push(p);
        }
        // The touched document, and every URI whose diagnostics are not
        // what was last sent for it (new ones, changed ones, and those
        // that had some and now have none).
        let mut changed: BTreeSet<Url> = touched.into_iter().collect();
        for (uri, now) in &self.last {
            let same = self.sent.get_mut(uri).is_some_and(|was| {
                // A list made again (the file's id moved, say) is compared
                // once, then stands for the one sent.
                let back = Rc::ptr_eq(&was.back, &now.back)
                    || (was.back.iter().map(|p| &p.diagnostic))
                        .eq(now.back.iter().map(|p| &p.diagnostic));
                if back {
                    was.back = now.back.clone();
                }
                back && now.front.iter().map(|p| &p.diagnostic).eq(&was.front)
            });
            if !same {
                changed.insert(uri.clone());
            }
        }
        let cleared = self.sent.keys().filter(|u| !self.last.contains_key(*u));
        changed.extend(cleared.cloned());
        for uri in changed {
            let (diagnostics, sent) = match self.last.get(&uri).filter(|f| !f.is_empty()) {
                Some(f) => {
                    let sent = Sent {
                        front: f.front.iter().map(|p| p.diagnostic.clone()).collect(),
                        back: f.back.clone(),
                    };
                    (f.merged(), Some(sent))
                }
                None => (Vec::new(), None),
            };
            match sent {
                Some(sent) => self.sent.insert(uri.clone(), sent),
                None => self.sent.remove(&uri),
            };
            self.outbox.push(Outgoing::diagnostics(&uri, &diagnostics));
        }
        self.cache = Some(Lookup {
            sources: unmasked,
            uris,
            index,
        });
    }

    fn text(&self, uri: &Url) -> String {
        match self.open.get(uri) {
            Some(t) => t.clone(),
            None => uri
                .to_file_path()
                .ok()
                .and_then(|p| self.disk.files.get(&p).cloned())
                .unwrap_or_default(),
        }
    }

    fn formatting(&self, p: lsp::DocumentFormattingParams) -> Value {
        let text = self.text(&p.text_document.uri);
        match crate::format::format(FileId(0), &text) {
            Ok(formatted) if formatted != text => {
                let (line, character) = SourceFile::new("", text.as_str()).line_utf16(text.len());
                let whole = lsp::Range::new(
                    lsp::Position::new(0, 0),
                    lsp::Position::new(line as u32, character as u32),
                );
                json!([lsp::TextEdit::new(whole, formatted)])
            }
            _ => json!([]),
        }
    }

    /// The `mcpc explain` page of the diagnostic under the cursor.
    fn hover(&self, p: lsp::HoverParams) -> Value {
        let at = p.text_document_position_params.position;
        let uri = &p.text_document_position_params.text_document.uri;
        let hit = self
            .last
            .get(uri)
            .into_iter()
            .flat_map(FileDiagnostics::iter)
            .find(|p| at >= p.range.start && at <= p.range.end);
        let text = match hit.and_then(|p| crate::diag::Code::from_name(p.code)) {
            Some(code) => Some(code.explanation().to_owned()),
            None => {
                let text = self.text(uri);
                crate::ide::hover(&text, offset(&text, at))
            }
        };
        match text {
            Some(value) => json!(lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value,
                }),
                range: None,
            }),
            None => Value::Null,
        }
    }
}

/// One file of the unit parsed once: its lowered share of the unit and its
/// index, from the same parse, as of `text`.
struct Parsed {
    id: FileId,
    text: String,
    lowered: LoweredFile,
    index: Index,
}

impl Parsed {
    fn new(id: FileId, text: &str) -> Parsed {
        let (index, lowered) = Index::of_file(id, text);
        Parsed {
            id,
            text: text.to_owned(),
            lowered,
            index,
        }
    }
}

/// The unit and its index, and the file and offset of a position in it.
struct Lookup {
    sources: SourceMap,
    uris: Vec<Url>,
    index: Index,
}

impl Lookup {
    fn location(&self, span: Span) -> lsp::Location {
        lsp::Location::new(
            self.uris[span.file.0 as usize].clone(),
            span_range(&self.sources, span),
        )
    }

    fn symbol(&self, at: &lsp::TextDocumentPositionParams) -> Option<&ide::Symbol> {
        let file = self.uris.iter().position(|u| *u == at.text_document.uri)?;
        let text = &self.sources.get(FileId(file as u32)).text;
        self.index
            .at(FileId(file as u32), offset(text, at.position))
    }
}

impl Server {
    /// The unit as of the last change (`request` makes sure there is one).
    fn lookup(&self) -> Option<&Lookup> {
        self.cache.as_ref()
    }

    fn completion(&self, p: lsp::CompletionParams) -> Value {
        let at = &p.text_document_position;
        let text = self.text(&at.text_document.uri);
        let Some(l) = self.lookup() else {
            return Value::Null;
        };
        let index = &l.index;
        let cursor = offset(&text, at.position);
        let start = ide::word_start(&text, cursor);
        let (line, character) = SourceFile::new("", text.as_str()).line_utf16(start);
        let replace = lsp::Range::new(
            lsp::Position::new(line as u32, character as u32),
            at.position,
        );
        let items: Vec<lsp::CompletionItem> = ide::complete(&text, cursor, index)
            .into_iter()
            .map(|c| lsp::CompletionItem {
                kind: Some(match c.kind {
                    ide::CompletionKind::Block => lsp::CompletionItemKind::MODULE,
                    ide::CompletionKind::Attribute => lsp::CompletionItemKind::PROPERTY,
                    ide::CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
                    ide::CompletionKind::Name => lsp::CompletionItemKind::REFERENCE,
                }),
                documentation: c.doc.map(|d| {
                    lsp::Documentation::MarkupContent(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: d,
                    })
                }),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    replace,
                    c.label.clone(),
                ))),
                label: c.label,
                ..Default::default()
            })
            .collect();
        json!(items)
    }

    fn definition(&self, p: lsp::GotoDefinitionParams) -> Value {
        let Some(l) = self.lookup() else {
            return Value::Null;
        };
        let Some(symbol) = l.symbol(&p.text_document_position_params) else {
            return Value::Null;
        };
        let locations: Vec<_> = l
            .index
            .definition(symbol)
            .into_iter()
            .map(|s| l.location(s))
            .collect();
        json!(locations)
    }

    fn references(&self, p: lsp::ReferenceParams) -> Value {
        let Some(l) = self.lookup() else {
            return Value::Null;
        };
        let Some(symbol) = l.symbol(&p.text_document_position) else {
            return Value::Null;
        };
        let locations: Vec<_> = l
            .index
            .same(symbol)
            .filter(|s| p.context.include_declaration || s.block.is_none())
            .map(|s| l.location(s.span))
            .collect();
        json!(locations)
    }

    fn rename(&self, p: lsp::RenameParams) -> Result<Value, (i32, String)> {
        let Some(l) = self.lookup() else {
            return Ok(Value::Null);
        };
        let Some(symbol) = l.symbol(&p.text_document_position) else {
            return Ok(Value::Null);
        };
        let valid = match symbol.kind {
            ide::SymbolKind::Secret => ide::is_reference_name(&p.new_name),
            _ => ide::is_name(&p.new_name),
        };
        if !valid {
            return Err((
                lsp_server::ErrorCode::InvalidParams as i32,
                format!("`{}` is not a valid name here", p.new_name),
            ));
        }
        let mut changes: std::collections::HashMap<Url, Vec<lsp::TextEdit>> =
            std::collections::HashMap::new();
        for s in l.index.same(symbol) {
            let location = l.location(s.span);
            changes
                .entry(location.uri)
                .or_default()
                .push(lsp::TextEdit::new(location.range, p.new_name.clone()));
        }
        Ok(json!(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }))
    }

    fn symbols(&self, l: &Lookup, file: Option<usize>, query: &str) -> Vec<lsp::SymbolInformation> {
        l.index
            .symbols
            .iter()
            .filter(|s| s.block.is_some() || (s.kind == ide::SymbolKind::Secret && file.is_none()))
            .filter(|s| file.is_none_or(|f| s.span.file.0 as usize == f))
            .filter(|s| s.name.to_lowercase().contains(&query.to_lowercase()))
            .map(|s| {
                #[allow(deprecated)]
                lsp::SymbolInformation {
                    name: s.name.clone(),
                    kind: match s.kind {
                        ide::SymbolKind::Plugin => lsp::SymbolKind::MODULE,
                        ide::SymbolKind::Server => lsp::SymbolKind::CLASS,
                        ide::SymbolKind::Workspace => lsp::SymbolKind::NAMESPACE,
                        ide::SymbolKind::Policy => lsp::SymbolKind::OBJECT,
                        ide::SymbolKind::Secret => lsp::SymbolKind::KEY,
                    },
                    tags: None,
                    deprecated: None,
                    location: l.location(s.block.unwrap_or(s.span)),
                    container_name: s.container.clone(),
                }
            })
            .collect()
    }

    fn document_symbols(&self, p: lsp::DocumentSymbolParams) -> Value {
        let Some(l) = self.lookup() else {
            return json!([]);
        };
        let Some(file) = l.uris.iter().position(|u| *u == p.text_document.uri) else {
            return json!([]);
        };
        json!(self.symbols(l, Some(file), ""))
    }

    fn workspace_symbols(&self, p: lsp::WorkspaceSymbolParams) -> Value {
        let Some(l) = self.lookup() else {
            return json!([]);
        };
        let mut seen = BTreeSet::new();
        let list: Vec<_> = self
            .symbols(l, None, &p.query)
            .into_iter()
            .filter(|s| s.kind != lsp::SymbolKind::KEY || seen.insert(s.name.clone()))
            .collect();
        json!(list)
    }

    fn folding(&self, p: lsp::FoldingRangeParams) -> Value {
        let Some(l) = self.lookup() else {
            return json!([]);
        };
        let Some(file) = l.uris.iter().position(|u| *u == p.text_document.uri) else {
            return json!([]);
        };
        let ranges: Vec<_> = l
            .index
            .folds
            .iter()
            .filter(|s| s.file.0 as usize == file)
            .map(|s| {
                let r = span_range(&l.sources, *s);
                lsp::FoldingRange {
                    start_line: r.start.line,
                    end_line: r.end.line,
                    ..Default::default()
                }
            })
            .collect();
        json!(ranges)
    }

    /// The document's semantic tokens under a new result id: all of them,
    /// or, when `previous` names the result last sent for this document,
    /// the one edit that turns those into these.
    fn semantic_tokens(&mut self, uri: Url, previous: Option<String>) -> Value {
        let data = relative_tokens(&self.text(&uri));
        self.tokens_id += 1;
        let result_id = self.tokens_id.to_string();
        let old = self
            .tokens
            .insert(uri, (result_id.clone(), data.clone()))
            .filter(|(id, _)| Some(id) == previous.as_ref());
        match old {
            Some((_, old)) => json!(lsp::SemanticTokensDelta {
                result_id: Some(result_id),
                edits: token_edit(&old, &data).into_iter().collect(),
            }),
            None => json!(lsp::SemanticTokens {
                result_id: Some(result_id),
                data,
            }),
        }
    }

    /// Each diagnostic's fixes in the range asked about, as quick fixes.
    fn code_actions(&self, p: lsp::CodeActionParams) -> Value {
        let Some(l) = self.lookup() else {
            return json!([]);
        };
        let mut actions = Vec::new();
        let last = self.last.get(&p.text_document.uri);
        for published in last.into_iter().flat_map(FileDiagnostics::iter) {
            let overlaps =
                published.range.start <= p.range.end && p.range.start <= published.range.end;
            if !overlaps {
                continue;
            }
            for action in ide::actions(&l.sources, &published.source) {
                let mut changes: std::collections::HashMap<Url, Vec<lsp::TextEdit>> =
                    std::collections::HashMap::new();
                for edit in &action.edits {
                    let location = l.location(edit.span);
                    changes
                        .entry(location.uri)
                        .or_default()
                        .push(lsp::TextEdit::new(location.range, edit.text.clone()));
                }
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: action.title,
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![published.diagnostic.clone()]),
                    edit: Some(lsp::WorkspaceEdit {
                        changes: Some(changes),
                        ..Default::default()
                    }),
                    is_preferred: Some(actions.is_empty()),
                    ..Default::default()
                }));
            }
        }
        json!(actions)
    }
}

/// `d` as the protocol shows it, against the files as written.
fn published(sources: &SourceMap, uris: &[Url], d: Diagnostic) -> Published {
    let range = span_range(sources, d.primary.span);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related = d
        .labels
        .iter()
        .map(|l| lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(
                uris[l.span.file.0 as usize].clone(),
                span_range(sources, l.span),
            ),
            message: l.message.clone(),
        })
        .collect();
    let diagnostic = lsp::Diagnostic {
        range,
        severity: Some(if d.severity == Severity::Error {
            lsp::DiagnosticSeverity::ERROR
        } else {
            lsp::DiagnosticSeverity::WARNING
        }),
        code: Some(lsp::NumberOrString::String(d.code.name().into())),
        source: Some("mcpc".into()),
        message,
        related_information: Some(related),
        ..Default::default()
    };
    Published {
        range,
        code: d.code.name(),
        diagnostic,
        source: d,
    }
}

fn span_range(sources: &SourceMap, span: Span) -> lsp::Range {
    let src = sources.get(span.file);
    let (sl, sc) = src.line_utf16(span.start as usize);
    let (el, ec) = src.line_utf16(span.end as usize);
    lsp::Range::new(
        lsp::Position::new(sl as u32, sc as u32),
        lsp::Position::new(el as u32, ec as u32),
    )
}

/// The byte offset of an editor position (0-based line, UTF-16 column),
/// clamped to the line's end and the text's.
fn offset(text: &str, at: lsp::Position) -> usize {
    let mut start = 0;
    for _ in 0..at.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= at.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + line.len()
}

/// Applies one change of an incremental (or whole-text) sync.
fn apply(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    match change.range {
        Some(range) => {
            let start = offset(text, range.start);
            let end = offset(text, range.end).max(start);
            text.replace_range(start..end, &change.text);
        }
        None => *text = change.text,
    }
}

/// A text's semantic tokens, as the protocol's relative positions in UTF-16
/// units (one pass over the text).
fn relative_tokens(text: &str) -> Vec<lsp::SemanticToken> {
    let mut data = Vec::new();
    let (mut line, mut col, mut at) = (0u32, 0u32, 0usize);
    let (mut last_line, mut last_col) = (0u32, 0u32);
    for token in ide::semantic_tokens(text) {
        for c in text[at..token.start].chars() {
            if c == '\n' {
                line += 1;
                col = 0;
            } else {
                col += c.len_utf16() as u32;
            }
        }
        at = token.start;
        let length = text[token.start..token.start + token.len]
            .encode_utf16()
            .count() as u32;
        data.push(lsp::SemanticToken {
            delta_line: line - last_line,
            delta_start: if line == last_line {
                col - last_col
            } else {
                col
            },
            length,
            token_type: token.kind as u32,
            token_modifiers_bitset: u32::from(token.builtin),
        });
        (last_line, last_col) = (line, col);
    }
    data
}

/// The single edit from `old` to `new` (whole tokens between their common
/// prefix and suffix; offsets count integers, five per token), or none
/// when they are equal.
fn token_edit(
    old: &[lsp::SemanticToken],
    new: &[lsp::SemanticToken],
) -> Option<lsp::SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (deleted, inserted) = (
        old.len() - prefix - suffix,
        &new[prefix..new.len() - suffix],
    );
    (deleted > 0 || !inserted.is_empty()).then(|| lsp::SemanticTokensEdit {
        start: 5 * prefix as u32,
        delete_count: 5 * deleted as u32,
        data: Some(inserted.to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        sl: u32,
        sc: u32,
        el: u32,
        ec: u32,
        text: &str,
    ) -> lsp::TextDocumentContentChangeEvent {
        lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(sl, sc),
                lsp::Position::new(el, ec),
            )),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn incremental_changes_use_utf16_columns() {
        let mut text = String::from("a = \"é😀x\"\nb = 1\n");
        // After the emoji (2 UTF-16 units) on line 0.
        apply(&mut text, change(0, 8, 0, 9, "y"));
        assert_eq!(text, "a = \"é😀y\"\nb = 1\n");
        // Across a line break, then past the end of a line (clamped).
        apply(&mut text, change(0, 10, 1, 0, " "));
        assert_eq!(text, "a = \"é😀y\" b = 1\n");
        apply(&mut text, change(0, 99, 5, 0, "!"));
        assert_eq!(text, "a = \"é😀y\" b = 1!");
        apply(
            &mut text,
            lsp::TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "whole".into(),
            },
        );
        assert_eq!(text, "whole");
    }
}
