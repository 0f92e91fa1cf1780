"""Tiny CLI: ``python3 -m switchboard_client METHOD '{json params}'``.

Connects to ``SWITCHBOARD_CONNECT`` (``host:port``, default
``127.0.0.1:7701``), logs in with ``SWITCHBOARD_TOKEN`` or
``<data dir>/operator.token`` when one is found (data dir from
``--data-dir``, ``SWITCHBOARD_DATA_DIR`` or ``./switchboard-data``), calls the
method and prints the result as pretty JSON.  On an error prints it to stderr
and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .client import ConnectionClosed, Client, RPCError, parse_connect, token_from_env_or_file

# Methods the server allows before auth.login; no token is needed for them.
_NO_LOGIN = {"auth.login", "system.ping", "system.version", "rpc.discover", "surveys.respond"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python3 -m switchboard_client",
        description="Call one Switchboard JSON-RPC method and print the result.",
    )
    p.add_argument("method", help="method name, e.g. system.ping")
    p.add_argument("params", nargs="?", help="params as a JSON object (default: none)")
    p.add_argument("--connect", default=os.environ.get("SWITCHBOARD_CONNECT"),
                   help="HOST:PORT (env SWITCHBOARD_CONNECT; default 127.0.0.1:7701)")
    p.add_argument("--data-dir", default=None,
                   help="data directory holding operator.token (env SWITCHBOARD_DATA_DIR)")
    p.add_argument("--account", default=None, help="account for an operator session")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    args = p.parse_args(argv)

    params = None
    if args.params is not None:
        try:
            params = json.loads(args.params)
        except ValueError as e:
            print(f"error: params are not valid JSON: {e}", file=sys.stderr)
            return 1

    try:
        host, port = parse_connect(args.connect)
    except ValueError as e:
        print(f"error: bad SWITCHBOARD_CONNECT/--connect: {e}", file=sys.stderr)
        return 1

    token = None
    if args.method not in _NO_LOGIN:
        try:
            token = token_from_env_or_file(args.data_dir)
        except (OSError, ValueError) as e:
            print(f"warning: no token ({e}); calling without login", file=sys.stderr)

    try:
        with Client.connect(host, port, timeout=args.timeout) as client:
            if token is not None:
                client.login(token, args.account)
            result = client.call(args.method, params)
    except RPCError as e:
        print(f"error: {json.dumps(e.to_dict(), ensure_ascii=False, indent=2)}", file=sys.stderr)
        return 1
    except (OSError, ConnectionClosed, TimeoutError) as e:
        print(f"error: {host}:{port}: {e}", file=sys.stderr)
        return 1

    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
