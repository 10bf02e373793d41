"""The evaluation's forms, one module per part of the cycle (``policy``, ``cycles``,
``indicators``, ``self_evaluation``, ``preliminary``, ``findings``) and what they share
(``base``). They only shape the request: the services decide."""
