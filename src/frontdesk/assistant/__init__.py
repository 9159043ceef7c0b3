"""The assistant: assistants, instructions, the agent run, tools, escalation and copilot."""
