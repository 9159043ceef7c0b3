"""Jobs of this domain, named ``leads.<verb>``."""
