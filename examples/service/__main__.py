"""``python -m examples.service``: run the reference service with uvicorn."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

import uvicorn

from examples.service.app import create_app
from examples.service.stores import DEFAULT_STORE_URL
from leadpipeline.adapters import WebhookNotifier


def _partner_keys(pairs: Sequence[str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for pair in pairs:
        partner_id, sep, key = pair.partition("=")
        if not sep or not partner_id or not key:
            raise SystemExit(f"--partner-key wants PARTNER_ID=KEY, got {pair!r}")
        keys[key] = partner_id
    return keys


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, configure logging and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m examples.service", description=__doc__)
    parser.add_argument(
        "--store",
        default=os.environ.get("LEADPIPELINE_STORE_URL", DEFAULT_STORE_URL),
        help="sqlite:///FILE (default sqlite:///leads.db), postgresql://DSN or memory://",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--partner-key",
        action="append",
        default=[],
        metavar="PARTNER_ID=KEY",
        help="a partner's credential (repeat for more partners)",
    )
    parser.add_argument("--webhook-url", help="POST each notification here (default: log it)")
    parser.add_argument(
        "--relay-every", type=float, default=5.0, help="seconds between relay passes"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    notifier = None
    if args.webhook_url:
        secret = os.environ.get("LEADPIPELINE_WEBHOOK_SECRET", "")
        notifier = WebhookNotifier(args.webhook_url, secret=secret)
    app = create_app(
        store_url=args.store,
        partner_keys=_partner_keys(args.partner_key),
        notifier=notifier,
        relay_every=args.relay_every,
    )
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
