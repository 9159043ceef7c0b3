"""The knowledge base: collections, articles, import and export, and retrieval."""
