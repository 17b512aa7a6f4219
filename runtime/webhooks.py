"""Webhooks: an organisation's change feed (runtime/feed.py) pushed to a URL (docs/feed.md).

Each subscription's items go out in batches, in feed order, as one signed POST each. A batch is
acknowledged by any 2xx answer; then the subscription's stored position moves past it
(storage/webhooks.py), so delivery survives a restart and is at least once: a batch whose answer
was lost is sent again, and receivers drop items whose ``event_id`` they already have. A batch
that fails is tried again after an exponentially growing pause; after
``POLKU_WEBHOOK_MAX_ATTEMPTS`` attempts it becomes a dead letter (the admin sees it and can
have it delivered again) and delivery goes on with the next batch.

Signing: ``Polku-Webhook-Timestamp`` (Unix seconds) and ``Polku-Webhook-Signature: v1=<hex>``,
the HMAC-SHA256 under the subscription's secret of ``<timestamp>.`` followed by the body's bytes.
Receivers check it in constant time and refuse a timestamp more than five minutes away from
their clock (:func:`verify`), so a captured request cannot be replayed later.

Every batch that reaches the receiver (a 2xx answer or any other HTTP answer) is written to the
access log, one row per client, as a read by the party ``webhook-<subscription id>`` of the
subscription's organisation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from pydantic import TypeAdapter

from domain.events import Actor
from runtime.feed import Feed, FeedItem, Position
from runtime.wiring import Components
from storage.webhooks import DeadLetter, Subscription

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOLERANCE",
    "WebhookWorker",
    "sign",
    "verify",
]

log = structlog.get_logger(__name__)

TIMESTAMP_HEADER = "Polku-Webhook-Timestamp"
SIGNATURE_HEADER = "Polku-Webhook-Signature"
DELIVERY_HEADER = "Polku-Webhook-Delivery"
TOLERANCE = 300
"""Seconds a receiver accepts between the timestamp and its own clock."""
LEASE = 120.0
"""Seconds a worker holds a subscription while it delivers one batch."""
_ITEMS = TypeAdapter(list[FeedItem])


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> bool:
    """What a receiver checks: the timestamp is recent and the signature is the body's."""
    if timestamp is None or signature is None or not timestamp.isdigit():
        return False
    sent = int(timestamp)
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


@dataclass(frozen=True)
class Attempt:
    """How one POST went: ``reached`` the receiver (an HTTP answer came) and ``ok`` (2xx)."""

    ok: bool
    reached: bool
    error: str | None


class WebhookWorker:
    """Delivers every due subscription's next batch; :meth:`run` does it until stopped."""

    def __init__(
        self,
        components: Components,
        *,
        batch: int = 100,
        interval: float = 0.5,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        settings = components.settings
        self._components = components
        self._feed = Feed(components)
        self._batch = batch
        self._interval = interval
        self._now = wall_clock
        self.max_attempts = settings.webhook_max_attempts
        self.backoff = settings.webhook_backoff_seconds
        self.max_backoff = settings.webhook_max_backoff_seconds
        self.timeout = settings.webhook_timeout_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Deliver until ``stop`` (or :meth:`stop`) is set; a failure is logged and retried."""
        stop = stop or self._stop
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception as error:  # the store went away for a while, say
                log.warning("webhooks.worker_failed", error=type(error).__name__)
                busy = 0
            if not busy:
                stop.wait(self._interval)

    def start(self) -> None:
        """Run in a background thread (``polku serve``)."""
        self._thread = threading.Thread(target=self.run, name="polku-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)

    def run_once(self) -> int:
        """One batch for each due subscription; how many batches were sent."""
        sent = 0
        webhooks = self._components.webhooks
        for subscription in webhooks.due(self._now()):
            if self._stop.is_set():
                break
            sent += self._deliver(subscription)
        return sent

    # -- one batch ----------------------------------------------------------------------------

    def _deliver(self, subscription: Subscription) -> int:
        webhooks = self._components.webhooks
        actor = _actor(subscription)
        start = Position(subscription.notification, subscription.skip)
        entries, end = self._feed.read(actor, start, limit=self._batch)
        if not entries:
            if end != start:  # nothing for this organisation in what was scanned: move on
                webhooks.acknowledged(subscription, end.notification, end.skip, 0)
            return 0
        if not webhooks.lease(subscription, self._now(), LEASE):
            return 0  # another worker has it, or it moved
        items = [self._feed.item(actor, e) for e in entries]
        delivery = _delivery_id(subscription, start)
        attempt = self._post(subscription, delivery, items, self._feed.cursor(actor, end))
        if attempt.reached:
            self._log_read(actor, subscription, [e.journey_id for e in entries])
        if attempt.ok:
            webhooks.acknowledged(subscription, end.notification, end.skip, len(items))
            log.info(
                "webhooks.delivered", subscription=subscription.subscription_id, items=len(items)
            )
            return 1
        attempts = subscription.attempts + 1
        error = attempt.error or "failed"
        log.info(
            "webhooks.attempt_failed",
            subscription=subscription.subscription_id,
            attempts=attempts,
            error=error,
        )
        if attempts >= self.max_attempts:
            webhooks.dead(
                subscription,
                error,
                attempts,
                len(items),
                (end.notification, end.skip),
                self._components.clock(),
            )
            log.warning("webhooks.dead_letter", subscription=subscription.subscription_id)
            return 1
        pause = min(self.max_backoff, self.backoff * 2 ** (attempts - 1))
        pause *= random.uniform(0.8, 1.0)  # noqa: S311 (jitter, not a secret)
        webhooks.failed(subscription, error, self._now() + pause, attempts)
        return 1

    def redeliver(self, subscription_id: str) -> list[tuple[DeadLetter, bool]]:
        """Send each dead letter of the subscription not yet redelivered again, once; which
        went through."""
        webhooks = self._components.webhooks
        subscription = webhooks.get(subscription_id)
        if subscription is None:
            raise LookupError(subscription_id)
        actor = _actor(subscription)
        results = []
        for letter in webhooks.dead_letters(subscription_id):
            if letter.redelivered_at is not None:
                continue
            start = Position(letter.from_notification, letter.from_skip)
            entries, end = self._feed.read(actor, start, limit=letter.items)
            items = [self._feed.item(actor, e) for e in entries]
            attempt = self._post(
                subscription,
                _delivery_id(subscription, start),
                items,
                self._feed.cursor(actor, end),
            )
            if attempt.reached:
                self._log_read(actor, subscription, [e.journey_id for e in entries])
            if attempt.ok:
                webhooks.redelivered(letter.dead_letter_id, self._components.clock())
            results.append((letter, attempt.ok))
        return results

    def _post(
        self, subscription: Subscription, delivery: str, items: list[FeedItem], following: str
    ) -> Attempt:
        body = (
            b'{"subscription_id":'
            + json.dumps(subscription.subscription_id).encode()
            + b',"delivery_id":'
            + json.dumps(delivery).encode()
            + b',"items":'
            + _ITEMS.dump_json(items)
            + b',"next":'
            + json.dumps(following).encode()
            + b"}"
        )
        timestamp = int(self._now())
        secret = self._components.webhooks.secret(subscription.subscription_id)
        request = urllib.request.Request(  # noqa: S310 (http(s) only: storage.webhooks.check_url)
            subscription.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "polku-webhooks",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(secret, timestamp, body),
                DELIVERY_HEADER: delivery,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read(1024)
                return Attempt(True, True, None)
        except urllib.error.HTTPError as error:
            return Attempt(False, True, f"HTTP {error.code}")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            return Attempt(False, False, type(reason).__name__)

    def _log_read(
        self, actor: Actor, subscription: Subscription, journeys: list[uuid.UUID]
    ) -> None:
        self._components.access_log.record(
            list(dict.fromkeys(journeys)),
            actor,
            f"webhook {subscription.subscription_id}",
            None,
            self._components.clock(),
        )


def _actor(subscription: Subscription) -> Actor:
    """Whom a subscription reads as: its organisation (the feed's rule is the organisation's)."""
    return Actor(f"webhook-{subscription.subscription_id}", subscription.organisation, "caseworker")


def _delivery_id(subscription: Subscription, start: Position) -> str:
    """The same for every attempt at the batch that starts at ``start``."""
    name = f"{subscription.subscription_id}|{start.notification}|{start.skip}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://polku.invalid/webhook/{name}"))
