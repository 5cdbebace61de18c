"""A streamable-HTTP MCP server on loopback for the end-to-end tests.

It answers 401 unless the request carries `Authorization: Bearer <token>`,
where the token is read from the environment variable named by
--token-env, so a runtime connects only if it passed the secret by
reference correctly; and, with --require-header NAME=VALUE, unless that
literal header is sent too (a backend that drops headers cannot connect).
Tools: `add`, `echo`, `drop_table`.

Usage: python http_server.py --port N --token-env NAME [--require-header NAME=VALUE]
Prints `ready` on stdout once listening; stops on SIGTERM or stdin EOF.
"""

import argparse
import os
import sys
import threading

import uvicorn
from mcp.server.fastmcp import FastMCP


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-env", required=True)
    parser.add_argument("--require-header", default=None)
    args = parser.parse_args()
    token = os.environ[args.token_env]

    mcp = FastMCP("mcpc-e2e-remote", stateless_http=True, json_response=True)

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @mcp.tool()
    def echo(message: str) -> str:
        """Echo a message back."""
        return message

    @mcp.tool()
    def drop_table(name: str) -> str:
        """A tool the declaration denies; it must never be offered."""
        return "dropped " + name

    app = mcp.streamable_http_app()
    expected = f"Bearer {token}".encode()
    extra = None
    if args.require_header:
        name, value = args.require_header.split("=", 1)
        extra = (name.lower().encode(), value.encode())

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != expected or (extra and headers.get(extra[0]) != extra[1]):
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await app(scope, receive, send)

    config = uvicorn.Config(guarded, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    def watch_stdin() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=watch_stdin, daemon=True).start()

    original = server.startup

    async def startup(sockets=None):
        await original(sockets)
        print("ready", flush=True)

    server.startup = startup
    server.run()


if __name__ == "__main__":
    main()
