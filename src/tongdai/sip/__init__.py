"""SIP: the sippy stack in its own thread, its compatibility fixes, digest authentication, the
registrar, and the headers tongdai writes."""
