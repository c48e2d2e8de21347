"""Application services: the only way configuration state changes. Entry points open a unit of
work, call a service, and the unit of work commits when the block succeeds."""
