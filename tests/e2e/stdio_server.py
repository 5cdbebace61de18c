"""A stdio MCP server for the end-to-end tests that starts only when the
environment variable named by --require-env holds the expected token (read
from the file named by --token-file, so the token never appears in argv).
A runtime connects to it only if it forwarded the secret as declared.
Tools: `whoami`, `echo`.

Usage: python stdio_server.py --require-env NAME --token-file FILE
"""

import argparse
import os
import sys

from mcp.server.fastmcp import FastMCP


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--require-env", required=True)
    parser.add_argument("--token-file", required=True)
    args = parser.parse_args()
    with open(args.token_file) as f:
        expected = f.read().strip()
    if os.environ.get(args.require_env) != expected:
        print(f"{args.require_env} is missing or wrong", file=sys.stderr)
        sys.exit(3)

    mcp = FastMCP("mcpc-e2e-stdio")

    @mcp.tool()
    def whoami() -> str:
        """Say that the secret arrived."""
        return "token received"

    @mcp.tool()
    def echo(message: str) -> str:
        """Echo a message back."""
        return message

    mcp.run()


if __name__ == "__main__":
    main()
