"""Partner writers: each partner system's file format, headers and codes."""
