"""Search of resources by characters, full pinyin and initials, from a term index."""
