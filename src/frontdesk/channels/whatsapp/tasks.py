"""Jobs of the WhatsApp channel, named ``whatsapp.<verb>``."""
