"""Reading import files and turning records to events: files, records, validation, the fast path."""
