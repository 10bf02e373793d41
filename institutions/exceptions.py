class DomainError(Exception):
    """A refused action, with a sentence the user can read (already translated)."""
