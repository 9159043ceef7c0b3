"""Jobs of this domain, named ``knowledge.<verb>``."""
