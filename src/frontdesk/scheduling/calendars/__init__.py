"""Calendar plugins: the built-in calendar, CalDAV and Google Calendar."""
