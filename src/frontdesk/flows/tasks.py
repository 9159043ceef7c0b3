"""Jobs of this domain, named ``flows.<verb>``."""
