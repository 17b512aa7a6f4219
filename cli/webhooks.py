"""``polku webhooks add|list|remove|dead|redeliver|run``: an organisation's change feed pushed to
a URL (admin; docs/feed.md)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from cli.common import Command, CommandError, bounded, settings_of
from cli.tables import add_format, emit, fmt_time

__all__ = ["register"]


def register(commands: Command) -> None:
    webhooks = commands.add_parser(
        "webhooks", help="push an organisation's change feed to a URL, signed (admin)"
    )
    sub = webhooks.add_subparsers(dest="webhooks_command", required=True)
    add = sub.add_parser(
        "add", help="subscribe a URL to an organisation's feed; the secret is printed once"
    )
    add.add_argument("--org", required=True, help="the organisation whose feed is pushed")
    add.add_argument("--url", required=True, help="where to POST it (http:// or https://)")
    add.set_defaults(handler=_add, creates_store=True)
    listing = sub.add_parser("list", help="subscriptions: position, items delivered, failures")
    add_format(listing)
    listing.set_defaults(handler=_list)
    remove = sub.add_parser("remove", help="stop delivering to a subscription")
    remove.add_argument("subscription_id", help="the id shown by `polku webhooks list`")
    remove.set_defaults(handler=_remove)
    dead = sub.add_parser("dead", help="a subscription's dead letters (batches given up on)")
    dead.add_argument("subscription_id", help="the id shown by `polku webhooks list`")
    add_format(dead)
    dead.set_defaults(handler=_dead)
    redeliver = sub.add_parser(
        "redeliver", help="send a subscription's dead letters again, once each"
    )
    redeliver.add_argument("subscription_id", help="the id shown by `polku webhooks list`")
    redeliver.set_defaults(handler=_redeliver)
    run = sub.add_parser(
        "run", help="deliver until interrupted (polku serve also delivers, unless turned off)"
    )
    run.add_argument(
        "--batch", type=bounded(1, 1000), default=100, help="items per POST (default 100)"
    )
    run.add_argument("--once", action="store_true", help="one round of batches, then stop")
    run.set_defaults(handler=_run)


def _add(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        subscription, secret = components.webhooks.add(args.org, args.url, components.clock())
    except ValueError as error:
        print(f"polku: {error}", file=sys.stderr)
        return 2
    finally:
        components.close()
    print(f"subscription {subscription.subscription_id}")
    print(f"secret       {secret}   (shown once: give it to the receiver)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        rows = [
            (
                s.subscription_id,
                s.organisation,
                s.url,
                s.delivered,
                s.attempts,
                s.last_error or "",
                len(components.webhooks.dead_letters(s.subscription_id)),
                fmt_time(s.created_at),
                fmt_time(s.removed_at),
            )
            for s in components.webhooks.all()
        ]
    finally:
        components.close()
    headers = [
        "id", "organisation", "url", "delivered", "failed attempts", "last error",
        "dead letters", "created", "removed",
    ]  # fmt: skip
    print(emit(headers, rows, args.format))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        removed = components.webhooks.remove(args.subscription_id, components.clock())
    finally:
        components.close()
    if not removed:
        raise CommandError(f"no subscription in force with id {args.subscription_id}")
    print(f"removed {args.subscription_id}")
    return 0


def _dead(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        if components.webhooks.get(args.subscription_id) is None:
            raise CommandError(f"no subscription with id {args.subscription_id}")
        letters = components.webhooks.dead_letters(args.subscription_id)
    finally:
        components.close()
    rows = [
        (d.dead_letter_id, d.items, d.attempts, d.last_error, fmt_time(d.failed_at),
         fmt_time(d.redelivered_at))
        for d in letters
    ]  # fmt: skip
    headers = ["id", "items", "attempts", "last error", "failed", "redelivered"]
    print(emit(headers, rows, args.format))
    return 0


def _redeliver(args: argparse.Namespace) -> int:
    from runtime.webhooks import WebhookWorker
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        try:
            results = WebhookWorker(components).redeliver(args.subscription_id)
        except LookupError:
            raise CommandError(f"no subscription with id {args.subscription_id}") from None
    finally:
        components.close()
    for letter, ok in results:
        print(f"{letter.dead_letter_id}: {'delivered' if ok else 'failed again'}")
    return 0 if all(ok for _, ok in results) else 1


def _run(args: argparse.Namespace) -> int:
    from runtime.webhooks import WebhookWorker
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    worker = WebhookWorker(components, batch=args.batch)
    try:
        if args.once:
            print(f"{worker.run_once()} batches sent", file=sys.stderr)
            return 0
        stop = threading.Event()

        def stop_on(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stop_on)
        print("delivering webhooks (Ctrl-C stops)", file=sys.stderr)
        try:
            worker.run(stop)
        except KeyboardInterrupt:
            stop.set()
    finally:
        components.close()
    return 0
