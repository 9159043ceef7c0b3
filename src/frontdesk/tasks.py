"""Imports every domain's job handlers, so any process that runs jobs knows all kinds."""

import frontdesk.mail.tasks  # noqa: F401
