"""tongdai: an open cloud contact-center switchboard built around hotline numbers."""

__version__ = "0.1.0"
