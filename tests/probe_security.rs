//! `mcpc probe` and `verify --probe` against hostile servers (issue 15):
//! no resolved secret in any output or event log, no redirect followed,
//! bounded memory, no child left behind. Real servers on loopback: small
//! HTTP servers on threads here, stdio servers in Python.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const SECRET: &str = "pk-live-7f3a9c2e51d04b88";

struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("mcpc-probesec-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Tmp(dir)
    }
    fn write(&self, path: &str, text: &str) -> PathBuf {
        let p = self.0.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcpc"));
        c.args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .env("PROBE_KEY", SECRET);
        c
    }
    fn mcpc(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn all(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn plugin(servers: &str) -> String {
    format!("plugin \"p\" {{\n  version = \"1.0.0\"\n{servers}}}\n")
}

/// One HTTP request as a loopback server saw it.
struct Request {
    head: String,
    body: String,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A loopback HTTP server answering every request with `answer`; counts
/// the connections it accepted.
fn serve(answer: impl Fn(&Request, &mut TcpStream) + Send + 'static) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            if let Some(request) = read_request(&mut stream) {
                answer(&request, &mut stream);
            }
        }
    });
    (port, seen)
}

fn respond(stream: &mut TcpStream, status: &str, headers: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn probe_never_prints_a_resolved_secret() {
    // The reproducer: nothing listens on port 9.
    let t = Tmp::new("secret");
    t.write(
        "p.mcpc",
        &plugin("  server \"s\" { url = \"http://127.0.0.1:9/mcp?key=${secret.PROBE_KEY}\" }\n"),
    );
    let out = t.mcpc(&["probe", "--timeout", "3"]);
    let text = all(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains(SECRET), "printed the secret:\n{text}");
    assert!(
        text.contains("cannot reach http://127.0.0.1:9/mcp?key=${secret.PROBE_KEY}"),
        "{text}"
    );

    // verify --probe and its event log, from the runtime's file.
    let out = t.mcpc(&["apply", "--target", "claude-code", "--scope", "project"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let out = t.mcpc(&[
        "verify",
        "--target",
        "claude-code",
        "--scope",
        "project",
        "--probe",
        "--timeout",
        "3",
        "--event",
        "events.jsonl",
    ]);
    let text = all(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("probe failed"), "{text}");
    assert!(!text.contains(SECRET), "printed the secret:\n{text}");
    let events = fs::read_to_string(t.0.join("events.jsonl")).unwrap();
    assert!(events.contains("cannot reach"), "{events}");
    assert!(!events.contains(SECRET), "logged the secret:\n{events}");
}

#[test]
fn probe_never_prints_a_secret_a_server_echoes() {
    let t = Tmp::new("echo");
    // An HTTP server that answers with an error quoting the header it got,
    // and a stdio server that prints its environment's secret on stderr
    // with terminal escape sequences, then exits.
    let (port, _) = serve(|request, stream| {
        let key = request
            .head
            .lines()
            .find_map(|l| l.strip_prefix("x-api-key: "))
            .unwrap_or("none")
            .trim()
            .to_owned();
        let id = serde_json::from_str::<serde_json::Value>(&request.body)
            .map(|v| v["id"].clone())
            .unwrap_or_default();
        let body = serde_json::json!({"jsonrpc": "2.0", "id": id,
            "error": {"code": -32000, "message": format!("bad key {key}\u{1b}[2J")}})
        .to_string();
        respond(
            stream,
            "200 OK",
            "content-type: application/json\r\n",
            &body,
        );
    });
    let stdio = t.write(
        "leak.py",
        "import os, sys\nsys.stderr.write('\\x1b]0;pwned\\x07token=' + os.environ['TOKEN'] + '\\n')\nsys.exit(3)\n",
    );
    t.write(
        "p.mcpc",
        &plugin(&format!(
            "  server \"web\" {{ url = \"http://127.0.0.1:{port}/mcp\" headers {{ X-Api-Key = secret.PROBE_KEY }} }}\n  server \"local\" {{ command = \"python3\" args = [\"{}\"] env {{ TOKEN = secret.PROBE_KEY }} }}\n",
            stdio.display()
        )),
    );
    let out = t.mcpc(&["probe", "--timeout", "5"]);
    let text = all(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("bad key ***"), "{text}");
    assert!(text.contains("token=***"), "{text}");
    assert!(!text.contains(SECRET), "printed the secret:\n{text}");
    assert!(
        !text.contains('\u{1b}'),
        "printed an escape sequence:\n{text:?}"
    );
    assert!(
        !text.contains('\u{7}'),
        "printed a control character:\n{text:?}"
    );
}

#[test]
fn probe_never_follows_redirects() {
    let t = Tmp::new("redirect");
    // The second server would receive whatever a followed redirect sends.
    let (other, received) = serve(|_, stream| respond(stream, "200 OK", "", "{}"));
    let mut servers = String::new();
    let mut codes = Vec::new();
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = format!("location: http://localhost:{other}/mcp\r\n");
        let (port, _) = serve(move |_, stream| respond(stream, status, &location, ""));
        let code = &status[..3];
        servers.push_str(&format!(
            "  server \"r{code}\" {{ url = \"http://127.0.0.1:{port}/mcp\" headers {{ X-Api-Key = secret.PROBE_KEY }} }}\n"
        ));
        codes.push(code);
    }
    t.write("p.mcpc", &plugin(&servers));
    let out = t.mcpc(&["probe", "--timeout", "5"]);
    let text = all(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for code in codes {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(&format!("r{code}")))
            .unwrap_or_else(|| panic!("no line for r{code}:\n{text}"));
        assert!(
            line.starts_with("failed")
                && line.contains(&format!("HTTP {code}: redirected to localhost")),
            "{line}"
        );
    }
    assert_eq!(
        received.load(Ordering::SeqCst),
        0,
        "a redirect was followed:\n{text}"
    );
}

/// Runs `mcpc` under Python and returns its output and the peak resident
/// set size of its process tree, in KiB (`ru_maxrss` of the children).
fn peak_rss(t: &Tmp, args: &[&str]) -> (Output, u64) {
    let script = "import resource, subprocess, sys\n\
        p = subprocess.run(sys.argv[1:], capture_output=True)\n\
        sys.stdout.buffer.write(p.stdout + p.stderr)\n\
        sys.stderr.write('\\nRSS %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
        sys.exit(p.returncode)\n";
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_mcpc"))
        .args(args)
        .current_dir(&t.0)
        .env("NO_COLOR", "1");
    let out = command.output().unwrap();
    let rss = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("RSS ")?.parse().ok())
        .expect("the wrapper reports RSS");
    (out, rss)
}

#[test]
fn probe_memory_is_bounded() {
    let t = Tmp::new("memory");
    // 300 MB on stdout, as one line and as many lines; a 400 MB HTTP body.
    let flood = t.write(
        "flood.py",
        "import sys\nline = 'x' * (1 << 20)\nend = '' if '--one' in sys.argv else '\\n'\nfor _ in range(300):\n    sys.stdout.write(line + end)\nsys.stdout.flush()\n",
    );
    let (port, _) = serve(|_, stream| {
        let size = 400usize << 20;
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n[\"",
        );
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..400 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let f = flood.display();
    t.write(
        "p.mcpc",
        &plugin(&format!(
            "  server \"one\" {{ command = \"python3\" args = [\"{f}\", \"--one\"] }}\n  server \"lines\" {{ command = \"python3\" args = [\"{f}\"] }}\n  server \"body\" {{ url = \"http://127.0.0.1:{port}/mcp\" }}\n"
        )),
    );
    for (server, message) in [
        ("one", "the server sent a message larger than 8 MiB"),
        (
            "lines",
            "the server wrote more than 64 MiB before answering",
        ),
        ("body", "the server sent a response larger than 8 MiB"),
    ] {
        let (out, rss) = peak_rss(
            &t,
            &[
                "probe",
                "--server",
                server,
                "--timeout",
                "120",
                "--allow",
                "duplicate-launch",
            ],
        );
        let text = all(&out);
        assert_eq!(out.status.code(), Some(1), "{server}: {text}");
        assert!(text.contains(message), "{server}: {text}");
        // The Python server's own line buffer counts in the tree's peak.
        assert!(rss < 120 << 10, "{server}: peak RSS {rss} KiB\n{text}");
    }
}

#[test]
fn probe_leaves_no_child_of_a_forking_server() {
    let t = Tmp::new("fork");
    let pidfile = t.0.join("grandchild.pid");
    let server = t.write(
        "fork.py",
        &format!(
            "import os, sys, time\nif os.fork() == 0:\n    open({:?}, 'w').write(str(os.getpid()))\n    time.sleep(300)\n    sys.exit(0)\ntime.sleep(300)\n",
            pidfile.display().to_string()
        ),
    );
    t.write(
        "p.mcpc",
        &plugin(&format!(
            "  server \"forks\" {{ command = \"python3\" args = [\"{}\"] }}\n",
            server.display()
        )),
    );
    let out = t.mcpc(&["probe", "--timeout", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    assert!(all(&out).contains("no answer within 3 s"), "{}", all(&out));
    let pid = fs::read_to_string(&pidfile).expect("the server forked");
    let proc = Path::new("/proc").join(pid.trim());
    // Killed at once; a zombie waiting for its reaper is gone too.
    let mut alive = true;
    for _ in 0..50 {
        alive = fs::read_to_string(proc.join("stat")).is_ok_and(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|s| !s.trim_start().starts_with('Z'))
        });
        if !alive {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!alive, "the forked child {} still runs", pid.trim());
}

/// A proxy from the environment (issue 15, the proxy note): an `https://`
/// server is reached through it as a TLS tunnel, so the proxy sees
/// `CONNECT host:443` and never a declared header or the URL's secret; a
/// plain-`http://` server is reached directly, never through the proxy,
/// which would carry its headers in the clear.
#[test]
fn a_proxy_never_sees_declared_headers() {
    let t = Tmp::new("proxy");
    let heads = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = heads.clone();
    let (proxy, _) = serve(move |request, stream| {
        seen.lock().unwrap().push(request.head.clone());
        respond(stream, "403 Forbidden", "", "");
    });
    let (direct, reached) = serve(|request, stream| {
        let id = serde_json::from_str::<serde_json::Value>(&request.body)
            .map(|v| v["id"].clone())
            .unwrap_or_default();
        let body = serde_json::json!({"jsonrpc": "2.0", "id": id,
            "error": {"code": -32000, "message": "no"}})
        .to_string();
        respond(
            stream,
            "200 OK",
            "content-type: application/json\r\n",
            &body,
        );
    });
    t.write(
        "p.mcpc",
        &plugin(&format!(
            "  server \"tls\" {{ url = \"https://mcp.example.test/mcp?key=${{secret.PROBE_KEY}}\" headers {{ X-Api-Key = secret.PROBE_KEY }} }}\n  server \"plain\" {{ url = \"http://127.0.0.1:{direct}/mcp\" headers {{ X-Api-Key = secret.PROBE_KEY }} }}\n"
        )),
    );
    let proxy_url = format!("http://127.0.0.1:{proxy}");
    let out = t
        .command(&["probe", "--timeout", "5"])
        .env("HTTPS_PROXY", &proxy_url)
        .env("HTTP_PROXY", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let text = all(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains(SECRET), "printed the secret:\n{text}");
    let heads = heads.lock().unwrap().clone();
    assert_eq!(
        heads.len(),
        1,
        "one request to the proxy: {heads:?}\n{text}"
    );
    assert!(
        heads[0].starts_with("CONNECT mcp.example.test:443 "),
        "{heads:?}"
    );
    let head = heads[0].to_ascii_lowercase();
    assert!(
        !head.contains(SECRET) && !head.contains("x-api-key") && !head.contains("/mcp"),
        "the proxy saw more than the tunnel's host: {heads:?}"
    );
    let tls = text
        .lines()
        .find(|l| l.contains(" tls "))
        .unwrap_or_default();
    assert!(
        tls.contains("through the proxy 127.0.0.1 from the environment"),
        "{text}"
    );
    assert!(
        reached.load(Ordering::SeqCst) >= 1,
        "the http server was not reached directly:\n{text}"
    );
}
