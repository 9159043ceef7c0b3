"""In-app notifications: what concerns one person, kept until read, pushed live, mailed if asked."""
