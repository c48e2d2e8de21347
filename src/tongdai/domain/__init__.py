"""The pure domain: numbers, hotline rules, caller-ID choice. No I/O, no framework, no clock."""
