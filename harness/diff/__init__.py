"""Differential conformance: the same generated cases on two clients, every disagreement
shrunk and written down as a permanent regression case (``smtp-harness diff``).

cases (hypothesis strategies) -> observe (each client's normalised observation) -> compare
(the fields that differ, less the listed departures) -> shrink -> write (scenario files, and
MailAddress data lines).
"""
