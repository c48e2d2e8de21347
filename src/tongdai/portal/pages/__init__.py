"""The portal's pages, one module per area; each is a thin layer over the `app/` services."""
