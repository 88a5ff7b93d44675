"""CLI: ``python -m actionkit.sandbox serve|seed``."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from actionkit.sandbox import db
from actionkit.sandbox.seed import seed
from actionkit.sandbox.server import DEFAULT_THREADS
from actionkit.sandbox.server import serve as run

DEFAULT_DB = "var/sandbox.sqlite3"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actionkit.sandbox", description="ActionKit-compatible sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8001")))
    serve.add_argument("--db", default=DEFAULT_DB)
    serve.add_argument("--threads", type=int, default=None)
    seed = sub.add_parser("seed", help="bulk-create fake users, pages, actions and usergroups")
    seed.add_argument("--db", default=DEFAULT_DB)
    for name in ("users", "pages", "actions", "usergroups"):
        seed.add_argument(f"--{name}", type=int, default=0)
    args = parser.parse_args(argv)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    if args.command == "serve":
        run(host=args.host, port=args.port, db_path=args.db, threads=args.threads or DEFAULT_THREADS)
    else:
        _seed(args)


def _seed(args) -> None:
    db.init(args.db)
    started = time.monotonic()
    counts = seed(
        db.connect(args.db), users=args.users, pages=args.pages, actions=args.actions, usergroups=args.usergroups
    )
    print(f"Seeded {counts} into {args.db} in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
