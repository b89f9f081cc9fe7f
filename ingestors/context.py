"""Build an `IngestContext` from configuration: the store, the pseudonymisation keys and the postcode lookup."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ingestors.ingest import IngestContext, prepare_workers
from ingestors.lake import REFERENCE_POSTCODES_TABLE, read_table
from ingestors.reference import STORED_SCHEMAS
from privacy.keys import load_master_key, load_master_key_from_environment
from storage import Store

POSTCODE_LOOKUP_SCHEMA = STORED_SCHEMAS[REFERENCE_POSTCODES_TABLE]


def build_ingest_context(
    store: Store, env: Mapping[str, str], *, run_id: str | None = None, user: str | None = None
) -> IngestContext:
    """Raises `privacy.keys.MissingKeyError` (with instructions) when no pseudonymisation key is configured, and
    ValueError when ``VRLAKE_INGEST_WORKERS`` is not a whole number of at least 1.

    With ``env`` this process's own environment, worker processes (which inherit it) can load the same key, so
    files may be prepared in processes; with any other mapping they are prepared on threads.
    """
    workers = prepare_workers(env)
    keys = load_master_key(env)
    lookup = read_table(store, REFERENCE_POSTCODES_TABLE, POSTCODE_LOOKUP_SCHEMA)
    return IngestContext(
        store=store,
        keys=keys,
        postcode_lookup=lookup,
        run_id=run_id,
        user=user,
        prepare_workers=workers,
        key_loader=load_master_key_from_environment if env is os.environ else None,
    )
