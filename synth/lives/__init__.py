"""Event generators: what happens to the residents of one chunk, agency by agency."""
