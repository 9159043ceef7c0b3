"""What starts flows: keywords in a message, domain events, and schedules."""
