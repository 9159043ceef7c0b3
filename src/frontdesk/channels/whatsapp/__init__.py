"""The WhatsApp Cloud API channel."""
