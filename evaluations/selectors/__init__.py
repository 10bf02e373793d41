"""Reads of the evaluation, one module per part of the cycle: ``scopes`` holds the lookups
scoped to the user (``*_for_user``: a missing object and a forbidden one look the same);
``policy``, ``cycles``, ``self_evaluation``, ``preliminary`` and ``findings`` hold what the
pages of each part show. Nothing here writes."""
