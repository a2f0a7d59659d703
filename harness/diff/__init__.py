"""Differential conformance: the same generated cases on two clients, every disagreement
shrunk and written down as a permanent regression case (``smtp-harness diff``).

cases (hypothesis strategies) -> observe (each client's normalised observation) -> compare
(the fields that differ, less the listed departures) -> shrink -> write (scenario files, and
MailAddress data lines).
"""

AXES = ("addresses", "message-addresses", "messages", "settings", "servers", "sequences")
"""Every axis, in the order a run reports them (here, so that the command line can name them
without importing hypothesis)."""
