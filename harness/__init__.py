"""smtp-conformance harness: declarative scenarios run against SMTP clients, with verdicts."""
