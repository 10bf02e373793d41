"""Views of the registry, accounts and home pages; one module per resource."""
