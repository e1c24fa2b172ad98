"""iCalendar output: events, the writer and the time-zone rules."""
