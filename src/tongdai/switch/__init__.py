"""Call control in the SIP thread: the `Switch` and what it owns (the configuration snapshot, the
registrar, queued and bridged calls, agents' states through Presence)."""
