"""Jobs of this domain, named ``scheduling.<verb>``."""
