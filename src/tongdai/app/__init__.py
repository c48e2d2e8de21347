"""The application layer: services (the only way configuration state changes: an entry point opens a
unit of work, calls a service, and the unit of work commits when the block succeeds), the read side
(views), the live switch's facade, the writers of what the switch records, the configuration
watcher, events and webhooks."""
