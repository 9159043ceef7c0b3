"""Imports every domain's job handlers, so any process that runs jobs knows all kinds."""

import frontdesk.agents.tasks
import frontdesk.analytics.tasks
import frontdesk.assistant.playground_tasks
import frontdesk.assistant.tasks
import frontdesk.channels.outbox
import frontdesk.channels.whatsapp.tasks
import frontdesk.conversations.tasks
import frontdesk.flows.tasks
import frontdesk.knowledge.tasks
import frontdesk.leads.tasks
import frontdesk.mail.tasks
import frontdesk.notifications.tasks
import frontdesk.scheduling.tasks
import frontdesk.webhooks.tasks  # noqa: F401
