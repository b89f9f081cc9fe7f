"""Cross-agency linkage on pseudonymised data: one person key across police, probation, education and ED records.

Pure Python (polars, DuckDB, Splink); no Dagster import, and nothing here imports Splink at module level, so the
Dagster code location stays light. One concept per module:

==================  =============================================================================================
``records``         the linkage unit: one pseudonymised record per (feed, record key), gathered from bronze
``model``           the Splink model: exact token levels, Bloom-filter Dice levels, date-of-birth component levels
``blocking``        blocking rules chosen by counted comparisons, with the counts
``train``           EM training; versioned model artefacts in the lake zone (``linkage/models/``)
``engine``          the DuckDB connection Splink runs on (bounded threads and memory)
``predict``         scoring all pairs, or only pairs involving new records (incremental)
``cluster``         clustering that refuses to join two NHS numbers or PNC IDs
``index``           the person index and its stable keys; merges and splits in ``linkage/key_events``
``quality``         precision, recall, F1, cluster measures against a synthetic truth
``plausibility``    checks without truth: oversized clusters, conflicting national identifiers
``cohort``          a cohort CSV pseudonymised exactly as ingestion pseudonymises a partner file
``cohort_link``     a cohort linked within itself and against the person index (read-only)
==================  =============================================================================================

``python -m linkage quality`` reports the lake's index against a truth file.
"""
