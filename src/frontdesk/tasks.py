"""Imports every domain's job handlers, so any process that runs jobs knows all kinds."""

import frontdesk.agents.tasks
import frontdesk.conversations.tasks
import frontdesk.mail.tasks
import frontdesk.webhooks.tasks  # noqa: F401
