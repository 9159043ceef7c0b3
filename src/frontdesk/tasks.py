"""Imports every domain's job handlers, so any process that runs jobs knows all kinds."""

import frontdesk.mail.tasks  # noqa: F401
import frontdesk.agents.tasks  # noqa: F401
import frontdesk.conversations.tasks  # noqa: F401
import frontdesk.webhooks.tasks  # noqa: F401
