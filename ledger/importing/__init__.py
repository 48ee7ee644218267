"""Reading import files and turning records into events: files, records, validation, the fast path."""
