"""Reports of a run: a terminal table and a JSON file."""
