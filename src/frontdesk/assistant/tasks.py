"""Jobs of this domain, named ``assistant.<verb>``."""
