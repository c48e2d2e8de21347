"""SIP: the sippy stack in its own thread, its compatibility fixes, the registrar, trunk checks."""
