"""Leads: capture, extraction, the pipeline, follow-ups, reports and exports."""
