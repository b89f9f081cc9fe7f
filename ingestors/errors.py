"""File-level failures: the reasons a whole delivery is quarantined rather than loaded."""

from __future__ import annotations

from enum import StrEnum


class QuarantineReason(StrEnum):
    """Machine-readable reason codes written beside a quarantined file."""

    UNREADABLE = "unreadable"
    EMPTY = "empty"
    UNKNOWN_FEED = "unknown_feed"
    WRONG_DROP_ZONE = "wrong_drop_zone"
    UNSUPPORTED_FORMAT = "unsupported_format"
    MISSING_REQUIRED_COLUMNS = "missing_required_columns"
    DUPLICATE_COLUMNS = "duplicate_columns"
    WRONG_SHEET = "wrong_sheet"
    TRUNCATED = "truncated"
    AGREEMENT_NOT_IN_FORCE = "agreement_not_in_force"
    NO_AGREEMENT = "no_agreement"
    PREPARED_WITH_OTHER_KEY = "prepared_with_other_key_or_version"


class FileRejected(Exception):
    """A delivery cannot be loaded at all. `explanation` is plain English a partner's data officer can act on."""

    def __init__(self, reason: QuarantineReason, explanation: str, *, details: dict[str, object] | None = None):
        super().__init__(explanation)
        self.reason = reason
        self.explanation = explanation
        self.details = details or {}

    def __reduce__(self) -> tuple[object, ...]:
        # Files are prepared in worker processes, which send the rejection back pickled; the default would call
        # FileRejected(explanation) and lose the reason.
        return (_file_rejected, (self.reason, self.explanation, self.details))


def _file_rejected(reason: QuarantineReason, explanation: str, details: dict[str, object]) -> FileRejected:
    return FileRejected(reason, explanation, details=details)
