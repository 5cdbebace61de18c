//! The `Content-Length` framing of the language server protocol, read
//! defensively. `lsp-server`'s own reader (0.7) returns an error on a bad
//! frame, which ends its connection, and allocates the declared length before
//! reading (`Content-Length: 18446744073709551615` aborts the process). Here
//! a bad frame is reported to the caller, which answers `-32700` and goes on:
//! header lines are bounded, frames are capped at [`MAX_FRAME`], and after
//! garbage the reader resynchronises on the next `Content-Length:` header.
//! Well-formed bodies become `lsp_server::Message`s.

use std::collections::VecDeque;
use std::io::{self, BufRead};

/// The largest frame accepted. Editors send whole documents in `didOpen`;
/// 64 MiB is far above any `.mcpc` file.
pub const MAX_FRAME: u64 = 64 << 20;
/// The longest header line kept; longer lines are garbage.
const MAX_HEADER_LINE: usize = 1024;
const LENGTH: &[u8] = b"content-length:";

pub enum Frame {
    Message(lsp_server::Message),
    /// A frame that is not a message: answer with `code` and go on. `id` is
    /// the request's, when one could be read.
    Malformed {
        code: i32,
        message: String,
        id: Option<serde_json::Value>,
    },
    Eof,
}

pub(crate) const PARSE_ERROR: i32 = -32700;
pub(crate) const INVALID_REQUEST: i32 = -32600;

pub struct Reader<R> {
    inner: R,
    /// Bytes read but given back, read again before `inner`.
    back: VecDeque<u8>,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            back: VecDeque::new(),
        }
    }

    pub fn read(&mut self) -> io::Result<Frame> {
        let mut length: Option<u64> = None;
        let mut headers = false;
        loop {
            let Some(line) = self.line()? else {
                return Ok(Frame::Eof);
            };
            let Some(line) = line else {
                // Over-long: garbage, whatever it was.
                length = None;
                headers = false;
                continue;
            };
            let lower = line.to_ascii_lowercase();
            if let Some(at) = find(&lower, LENGTH) {
                // Garbage before the header (the tail of a short frame) is
                // dropped: this is where the next frame starts.
                let value = String::from_utf8_lossy(&line[at + LENGTH.len()..]);
                headers = true;
                match value.trim().parse::<u64>() {
                    Ok(n) if n <= MAX_FRAME => length = Some(n),
                    Ok(n) => {
                        return Ok(malformed(format!(
                            "a frame of {n} bytes is over the limit of {MAX_FRAME}"
                        )));
                    }
                    Err(_) => {
                        return Ok(malformed(format!(
                            "`Content-Length: {}` is not a length",
                            value.trim()
                        )));
                    }
                }
            } else if line.is_empty() {
                if let Some(n) = length {
                    return self.body(n);
                }
                if headers {
                    return Ok(malformed("a frame without `Content-Length`".into()));
                }
            } else if is_header(&line) {
                headers = true;
            } else {
                // Not a header: skip until the next frame.
                length = None;
                headers = false;
            }
        }
    }

    fn body(&mut self, n: u64) -> io::Result<Frame> {
        let mut body = Vec::with_capacity(n as usize);
        while body.len() < n as usize {
            match self.byte()? {
                Some(b) => body.push(b),
                None => return Ok(Frame::Eof),
            }
        }
        let value: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                // A short or long `Content-Length` leaves a frame header in
                // the body: read from there again.
                let lower = body.to_ascii_lowercase();
                if let Some(at) = find(&lower, LENGTH).filter(|&at| at > 0) {
                    for &b in body[at..].iter().rev() {
                        self.back.push_front(b);
                    }
                }
                return Ok(malformed(format!("the frame is not JSON: {e}")));
            }
        };
        let id = value.get("id").cloned();
        match serde_json::from_value::<lsp_server::Message>(value) {
            Ok(m) => Ok(Frame::Message(m)),
            Err(e) => Ok(Frame::Malformed {
                code: INVALID_REQUEST,
                message: format!("not a JSON-RPC message: {e}"),
                id,
            }),
        }
    }

    fn byte(&mut self) -> io::Result<Option<u8>> {
        if let Some(b) = self.back.pop_front() {
            return Ok(Some(b));
        }
        let buf = self.inner.fill_buf()?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.inner.consume(1);
        Ok(Some(b))
    }

    /// One line without its `\r\n`; `Some(None)` when it was longer than
    /// [`MAX_HEADER_LINE`]; `None` at the end of input.
    #[allow(clippy::option_option)]
    fn line(&mut self) -> io::Result<Option<Option<Vec<u8>>>> {
        let mut line = Vec::new();
        let mut long = false;
        let mut any = false;
        loop {
            // Whole buffered runs at a time when nothing was given back.
            if self.back.is_empty() {
                let buf = self.inner.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                any = true;
                let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (buf.len(), false),
                };
                if !long {
                    line.extend_from_slice(&buf[..take]);
                }
                self.inner.consume(take);
                if line.len() > MAX_HEADER_LINE {
                    long = true;
                    line.clear();
                }
                if done {
                    break;
                }
                continue;
            }
            let Some(b) = self.byte()? else { break };
            any = true;
            if !long {
                line.push(b);
            }
            if line.len() > MAX_HEADER_LINE {
                long = true;
                line.clear();
            }
            if b == b'\n' {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if long {
            return Ok(Some(None));
        }
        while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            line.pop();
        }
        Ok(Some(Some(line)))
    }
}

fn malformed(message: String) -> Frame {
    Frame::Malformed {
        code: PARSE_ERROR,
        message,
        id: None,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `Name: value` with a token name, as `Content-Type: …`.
fn is_header(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(0) | None => false,
        Some(colon) => line[..colon]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut r = Reader::new(input);
        let mut out = Vec::new();
        loop {
            match r.read().unwrap() {
                Frame::Eof => return out,
                Frame::Message(m) => out.push(match m {
                    lsp_server::Message::Request(r) => format!("request {}", r.method),
                    lsp_server::Message::Notification(n) => format!("notification {}", n.method),
                    lsp_server::Message::Response(r) => format!("response {}", r.id),
                }),
                Frame::Malformed { code, .. } => out.push(format!("error {code}")),
            }
        }
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    const PING: &str = r#"{"jsonrpc":"2.0","method":"ping"}"#;

    #[test]
    fn well_formed_frames_with_and_without_content_type() {
        let input = format!(
            "{}Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {}\r\n\r\n{PING}",
            frame(PING),
            PING.len()
        );
        assert_eq!(
            frames(input.as_bytes()),
            ["notification ping", "notification ping"]
        );
    }

    #[test]
    fn bad_json_and_lone_surrogate_are_parse_errors_then_resync() {
        let bad = frame("{not json");
        let surrogate = frame(r#"{"jsonrpc":"2.0","method":"\ud800"}"#);
        let input = format!("{bad}{surrogate}{}", frame(PING));
        assert_eq!(
            frames(input.as_bytes()),
            ["error -32700", "error -32700", "notification ping"]
        );
    }

    #[test]
    fn short_and_long_content_length_resynchronise() {
        let short = format!("Content-Length: 10\r\n\r\n{PING}");
        assert_eq!(
            frames(format!("{short}{}", frame(PING)).as_bytes()),
            ["error -32700", "notification ping"]
        );
        let long = format!("Content-Length: {}\r\n\r\n{PING}", PING.len() + 20);
        assert_eq!(
            frames(format!("{long}{}", frame(PING)).as_bytes()),
            ["error -32700", "notification ping"]
        );
    }

    #[test]
    fn missing_and_huge_content_length() {
        let missing = format!("Content-Type: x\r\n\r\n{PING}\r\n");
        let huge = format!("Content-Length: 18446744073709551615\r\n\r\n{PING}\r\n");
        let nonsense = format!("Content-Length: -3\r\n\r\n{PING}\r\n");
        let input = format!("{missing}{huge}{nonsense}{}", frame(PING));
        assert_eq!(
            frames(input.as_bytes()),
            [
                "error -32700",
                "error -32700",
                "error -32700",
                "notification ping"
            ]
        );
    }

    #[test]
    fn json_that_is_not_a_message_is_an_invalid_request() {
        let input = format!("{}{}", frame("\"hello\""), frame(PING));
        assert_eq!(
            frames(input.as_bytes()),
            ["error -32600", "notification ping"]
        );
    }

    #[test]
    fn over_long_garbage_lines_are_bounded() {
        let garbage = "x".repeat(1 << 20);
        let input = format!("{garbage}\r\n{}", frame(PING));
        assert_eq!(frames(input.as_bytes()), ["notification ping"]);
    }
}
