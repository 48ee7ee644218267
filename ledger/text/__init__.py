"""Everything that renders text for a terminal: cards, traces, rubrics, and their formatting."""
