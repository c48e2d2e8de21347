"""The pure domain: numbers, hotline rules, caller-ID choice, routing, the configuration snapshot and
the agent/queue state machine. No I/O, no framework, no clock."""
