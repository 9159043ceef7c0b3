"""Shared building blocks every domain uses: database, errors, jobs, events, limits, crypto."""
