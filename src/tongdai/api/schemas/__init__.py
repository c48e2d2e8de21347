"""Request and response bodies, one module per area. Types and sizes are checked here; the product's
rules live in domain/."""
