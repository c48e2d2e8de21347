"""Call control: who is calling, where the call goes, with which caller ID, and the call log."""
