"""Every write of the evaluation, one module per part of the cycle (see models/__init__.py)."""
