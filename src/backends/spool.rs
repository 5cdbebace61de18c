//! Where a backend's file goes as it is written: into memory, or, when the
//! caller gives a [`Spool`] (`build`'s output directory), into the
//! caller's writer a block at a time, counted and hashed on the way, so
//! that a large unit's config file is never whole in memory (VS Code's
//! `mcp.json` of 100,000 servers is 39 MB). The library does no IO of its
//! own: what it writes into is the caller's.

use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// Where the caller has config files written as they are made (by the
/// targets built at once: [`Spool::open`] is called from their threads).
///
/// A file written there is not yet in its place: the backend's pass may
/// still report an error that fails the target. The caller puts it in place,
/// or drops it, once it has the target's diagnostics ([`Spooled::id`] says
/// which file it is).
pub trait Spool: Sync {
    /// A writer for the file at `path` (relative to the output directory)
    /// and the number the caller knows it by; `None` when the file cannot
    /// be begun there. It is then made in memory, and the caller's own
    /// write of it says why.
    fn open(&self, path: &str) -> Option<(usize, Box<dyn Write + '_>)>;
}

/// A file written into a [`Spool`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spooled {
    /// What [`Spool::open`] numbered it.
    pub id: usize,
    pub len: u64,
    /// `None` for a file made [`Output::unhashed`].
    pub sha256: Option<[u8; 32]>,
    /// The first write into the spool that failed (nothing was written
    /// after it, and the file must not be put in place).
    pub error: Option<String>,
}

/// What a file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contents {
    Text(String),
    /// Written into the caller's [`Spool`]: its text is not in memory.
    Spooled(Spooled),
}

impl From<String> for Contents {
    fn from(text: String) -> Contents {
        Contents::Text(text)
    }
}

impl Contents {
    /// The text, unless it was spooled (only a caller that gave a
    /// [`Spool`] gets a spooled file).
    pub fn text(&self) -> Option<&str> {
        match self {
            Contents::Text(text) => Some(text),
            Contents::Spooled(_) => None,
        }
    }

    /// The SHA-256 of the bytes, in lower-case hex (empty for a file
    /// made [`Output::unhashed`], which is never listed).
    pub fn sha256_hex(&self) -> String {
        match self {
            Contents::Text(text) => crate::emit::sha256_hex(text.as_bytes()),
            Contents::Spooled(s) => {
                debug_assert!(s.sha256.is_some(), "the digest of an unhashed file");
                s.sha256
                    .as_ref()
                    .map_or_else(String::new, |d| crate::emit::hex(d))
            }
        }
    }
}

/// How much is gathered before it goes to the spool: few enough calls
/// into the caller's writer, little enough memory.
const BLOCK: usize = 64 * 1024;

/// A file being written by a backend: into memory, or into a spool a
/// block at a time. Writing into it never fails: a failure of the spool's
/// writer is kept for [`Spooled::error`], so that the backend's pass runs
/// to its end and reports all it has to.
pub struct Output<'s> {
    buf: Vec<u8>,
    to: Option<Spooling<'s>>,
}

struct Spooling<'s> {
    id: usize,
    writer: Box<dyn Write + 's>,
    sha: Option<Sha256>,
    len: u64,
    error: Option<io::Error>,
}

impl<'s> Output<'s> {
    /// The file at `path` of the output directory, into `spool` if there
    /// is one and it can begin the file, else into memory.
    pub fn new(spool: Option<&'s dyn Spool>, path: &str) -> Output<'s> {
        Output::made(spool, path, true)
    }

    /// [`Output::new`] for a file whose digest no one asks for, the
    /// delivery manifest (it does not list itself): none is computed (at
    /// 100,000 servers, 14 ms of SHA-256 over its 25 MB).
    pub fn unhashed(spool: Option<&'s dyn Spool>, path: &str) -> Output<'s> {
        Output::made(spool, path, false)
    }

    fn made(spool: Option<&'s dyn Spool>, path: &str, hashed: bool) -> Output<'s> {
        let to = spool
            .and_then(|s| s.open(path))
            .map(|(id, writer)| Spooling {
                id,
                writer,
                sha: hashed.then(Sha256::new),
                len: 0,
                error: None,
            });
        let buf = Vec::with_capacity(if to.is_some() { BLOCK } else { 0 });
        Output { buf, to }
    }

    /// Sends what is gathered to the spool, if there is one.
    fn drain(&mut self) {
        let Some(to) = &mut self.to else {
            return;
        };
        if let Some(sha) = &mut to.sha {
            sha.update(&self.buf);
        }
        to.len += self.buf.len() as u64;
        if to.error.is_none()
            && let Err(e) = to.writer.write_all(&self.buf)
        {
            to.error = Some(e);
        }
        self.buf.clear();
    }

    /// Writes `text`.
    pub fn put(&mut self, text: &str) {
        self.write_all(text.as_bytes())
            .expect("an Output does not fail");
    }

    /// The file as written.
    pub fn finish(mut self) -> Contents {
        self.drain();
        match self.to {
            None => Contents::Text(String::from_utf8(self.buf).expect("the emitters write UTF-8")),
            Some(mut to) => {
                if to.error.is_none()
                    && let Err(e) = to.writer.flush()
                {
                    to.error = Some(e);
                }
                Contents::Spooled(Spooled {
                    id: to.id,
                    len: to.len,
                    sha256: to.sha.map(|sha| sha.finalize().into()),
                    error: to.error.map(|e| e.to_string()),
                })
            }
        }
    }
}

impl Write for Output<'_> {
    /// Into memory, or into the spool a block at a time however much is
    /// written at once (a file made whole first, as YAML is, is not held
    /// twice).
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        // Most writes are a few bytes of punctuation or a value.
        if self.to.is_none() || self.buf.len() + bytes.len() < BLOCK {
            self.buf.extend_from_slice(bytes);
            return Ok(bytes.len());
        }
        self.spill(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Output<'_> {
    /// Writes `bytes`, which fill the block, into the spool a block at a
    /// time.
    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let (now, later) = rest.split_at(rest.len().min(BLOCK - self.buf.len()));
            self.buf.extend_from_slice(now);
            if self.buf.len() == BLOCK {
                self.drain();
            }
            rest = later;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// The bytes written into one file of a [`Kept`].
    type Bytes = Arc<Mutex<Vec<u8>>>;

    /// A spool that keeps each file's bytes, failing after `fail_after`.
    struct Kept {
        files: Mutex<Vec<(String, Bytes)>>,
        fail_after: usize,
    }

    struct Into {
        bytes: Bytes,
        fail_after: usize,
    }

    impl Write for Into {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let mut bytes = self.bytes.lock().unwrap();
            if bytes.len() + b.len() > self.fail_after {
                return Err(io::Error::other("disk full"));
            }
            bytes.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Spool for Kept {
        fn open(&self, path: &str) -> Option<(usize, Box<dyn Write + '_>)> {
            if path.ends_with("refused") {
                return None;
            }
            let bytes = Arc::new(Mutex::new(Vec::new()));
            let mut files = self.files.lock().unwrap();
            files.push((path.to_owned(), bytes.clone()));
            let into = Into {
                bytes,
                fail_after: self.fail_after,
            };
            Some((files.len() - 1, Box::new(into)))
        }
    }

    fn text(size: usize) -> Vec<u8> {
        (0..size).map(|i| b"abcdefgh\n"[i % 9]).collect()
    }

    #[test]
    fn a_spooled_file_is_the_bytes_written_with_their_length_and_digest() {
        let spool = Kept {
            files: Mutex::new(Vec::new()),
            fail_after: usize::MAX,
        };
        // Below a block, exactly one, and several with a rest.
        for size in [0, 10, BLOCK, 3 * BLOCK + 17] {
            let bytes = text(size);
            let mut out = Output::new(Some(&spool), "x/a.json");
            for piece in bytes.chunks(1000) {
                out.write_all(piece).unwrap();
            }
            let Contents::Spooled(s) = out.finish() else {
                panic!("not spooled");
            };
            let files = spool.files.lock().unwrap();
            assert_eq!(s.id, files.len() - 1);
            assert_eq!(*files[s.id].1.lock().unwrap(), bytes);
            assert_eq!(s.len, size as u64);
            let as_text = Contents::Text(String::from_utf8(bytes).unwrap());
            assert_eq!(
                Contents::Spooled(s.clone()).sha256_hex(),
                as_text.sha256_hex()
            );
            assert_eq!(s.error, None);
        }
        // Unhashed: the same bytes and length, and no digest.
        let bytes = text(3 * BLOCK + 17);
        let mut out = Output::unhashed(Some(&spool), "mcpc-delivery.json");
        out.write_all(&bytes).unwrap();
        let Contents::Spooled(s) = out.finish() else {
            panic!("not spooled");
        };
        assert_eq!(*spool.files.lock().unwrap()[s.id].1.lock().unwrap(), bytes);
        assert_eq!((s.len, s.sha256), (bytes.len() as u64, None));
    }

    /// However much is written at once, the spool gets it a block at a
    /// time, the same bytes.
    #[test]
    fn a_large_write_reaches_the_spool_in_blocks() {
        struct Largest(usize);
        impl Write for Largest {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0 = self.0.max(b.len());
                assert!(self.0 <= BLOCK, "a write of {} bytes", b.len());
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        struct One;
        impl Spool for One {
            fn open(&self, _: &str) -> Option<(usize, Box<dyn Write + '_>)> {
                Some((0, Box::new(Largest(0))))
            }
        }
        let bytes = text(5 * BLOCK + 3);
        let mut out = Output::new(Some(&One), "x");
        out.write_all(&bytes[..7]).unwrap();
        out.write_all(&bytes[7..]).unwrap();
        let Contents::Spooled(s) = out.finish() else {
            panic!("not spooled");
        };
        let held = Contents::Text(String::from_utf8(bytes).unwrap());
        assert_eq!(Contents::Spooled(s).sha256_hex(), held.sha256_hex());
    }

    #[test]
    fn without_a_spool_or_when_it_refuses_the_file_is_held() {
        let spool = Kept {
            files: Mutex::new(Vec::new()),
            fail_after: usize::MAX,
        };
        for to in [None, Some(&spool as &dyn Spool)] {
            let mut out = Output::new(to, "x/refused");
            out.write_all(&text(BLOCK + 1)).unwrap();
            let held = out.finish();
            assert_eq!(held.text().map(str::len), Some(BLOCK + 1));
        }
        assert!(spool.files.lock().unwrap().is_empty());
    }

    /// The backend writes on to the end (its pass still reports all), and
    /// the failure is kept for the caller.
    #[test]
    fn a_failing_spool_is_said_in_the_file_not_to_the_backend() {
        let spool = Kept {
            files: Mutex::new(Vec::new()),
            fail_after: BLOCK + 5,
        };
        let mut out = Output::new(Some(&spool), "x/a.json");
        for piece in text(4 * BLOCK).chunks(4096) {
            out.write_all(piece).expect("an Output does not fail");
        }
        let Contents::Spooled(s) = out.finish() else {
            panic!("not spooled");
        };
        assert_eq!(s.error.as_deref(), Some("disk full"));
        assert_eq!(s.len, 4 * BLOCK as u64);
        assert_eq!(
            spool.files.lock().unwrap()[0].1.lock().unwrap().len(),
            BLOCK
        );
    }
}
