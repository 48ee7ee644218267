"""Dates and times: parsing ``as_of``/``known_at`` and the official working-day calendar."""
