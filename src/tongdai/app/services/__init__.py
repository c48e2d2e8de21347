"""One module per business area; keyword-only functions that take a unit of work."""
