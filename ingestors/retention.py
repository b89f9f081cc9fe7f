"""Retention of identifiable originals: delete archived partner files once their agreement's period has passed.

Originals live in the archive zone at `<partner>/<YYYY>/<MM>/<DD>/<id>_<file>` (loaded or duplicate deliveries) and
`quarantined/<partner>/<YYYYMMDDTHHMMSS>_<id>_<file>` (files that could not be loaded). A processed original is kept
for its feed's `retention.identifiable_originals_days`; a quarantined one, whose feed may be unknown, for the
shortest period among its partner's agreements. Every deletion is recorded in the audit table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ingestors.contract import FeedContract, load_contracts
from ingestors.detect import feed_from_name
from ingestors.ingest import ARCHIVE, QUARANTINED_ORIGINALS
from ingestors.ledger import audit
from privacy.agreement import SharingAgreement, load_agreements
from storage import Store

PROCESSED_PATH = re.compile(r"^(?P<partner>[a-z]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/[0-9a-f]{8}_(?P<file>.+)$")
QUARANTINED_PATH = re.compile(
    rf"^{QUARANTINED_ORIGINALS}/(?P<partner>[a-z]+)/(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}})T\d{{6}}_[0-9a-f]{{8}}_(?P<file>.+)$"
)


@dataclass(frozen=True)
class RetentionDecision:
    path: str
    archived_on: dt.date
    keep_days: int
    feed: str | None

    def due(self, today: dt.date) -> bool:
        return (today - self.archived_on).days > self.keep_days


def retention_decisions(
    store: Store,
    contracts: Mapping[str, FeedContract] | None = None,
    agreements: Mapping[str, SharingAgreement] | None = None,
) -> list[RetentionDecision]:
    """How long each archived original is kept. Objects vrlake did not put there are left alone (not listed)."""
    contracts = contracts or load_contracts()
    agreements = agreements or load_agreements()
    shortest_by_partner: dict[str, int] = {}
    for feed, agreement in agreements.items():
        partner = contracts[feed].partner
        days = agreement.retention.identifiable_originals_days
        shortest_by_partner[partner] = min(days, shortest_by_partner.get(partner, days))
    decisions = []
    for info in store.list(ARCHIVE):
        match = PROCESSED_PATH.match(info.path) or QUARANTINED_PATH.match(info.path)
        if not match or match.group("partner") not in shortest_by_partner:
            continue
        archived_on = dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        feed_match = feed_from_name(match.group("file"), contracts) if match.re is PROCESSED_PATH else None
        feed = feed_match.contract.feed if feed_match and feed_match.contract.feed in agreements else None
        keep = agreements[feed].retention.identifiable_originals_days if feed else shortest_by_partner[match.group("partner")]
        decisions.append(RetentionDecision(info.path, archived_on, keep, feed))
    return decisions


def apply_retention(
    store: Store, today: dt.date, *, run_id: str | None = None, user: str | None = None
) -> list[RetentionDecision]:
    """Delete every archived original past its retention period; returns what was deleted (each audited)."""
    deleted = []
    for decision in retention_decisions(store):
        if not decision.due(today):
            continue
        store.delete(ARCHIVE, decision.path, missing_ok=True)
        audit(
            store,
            "retention_deletion",
            run_id=run_id,
            user=user,
            feed=decision.feed,
            detail={"archived_file": decision.path, "archived_on": decision.archived_on, "kept_days": decision.keep_days},
        )
        deleted.append(decision)
    return deleted
