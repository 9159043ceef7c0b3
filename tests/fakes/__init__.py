"""Fakes of outside services for tests: small local servers speaking the real wire formats."""
