"""The one resource Dagster steps use to reach vrlake: storage, keys and ingestion context, built at run time.

Nothing here runs when the code location is imported: the store is opened and the pseudonymisation key loaded only
inside a step, and the key object refuses to be pickled or printed, so it cannot reach Dagster's run storage,
event log or metadata.
"""

from __future__ import annotations

import os
from functools import cached_property

import dagster as dg

from ingestors.context import build_ingest_context
from ingestors.ingest import IngestContext
from ingestors.lake_init import initialise_lake
from privacy.keys import InvalidKeyError, MissingKeyError
from storage import StorageSettings, Store, open_store


class VrlakeResource(dg.ConfigurableResource):
    """Access to the storage zones and the ingestion context, configured from the environment at run time."""

    @cached_property
    def store(self) -> Store:
        store = open_store(StorageSettings.from_env())
        initialise_lake(store)
        return store

    def ingest_context(self, context: dg.OpExecutionContext) -> IngestContext:
        """Everything an ingestion needs; the user is the one who launched the run, when Dagster knows it."""
        user = context.run.tags.get("dagster/user") or context.run.tags.get("user")
        try:
            return build_ingest_context(self.store, os.environ, run_id=context.run_id, user=user)
        except (MissingKeyError, InvalidKeyError, ValueError) as error:  # ValueError: VRLAKE_INGEST_WORKERS
            # Configuration, not a transient fault: fail once, with the instructions, instead of retrying.
            raise dg.Failure(description=str(error), allow_retries=False) from None
