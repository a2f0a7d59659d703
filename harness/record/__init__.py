"""Recording a real server: a proxy between a client and an SMTP server that writes what the
server said as a scenario the scripted server replays (``smtp-harness record``).

Data flows one way: the proxy (``proxy``) sees the wire and fills a ``Recording``
(``session``); ``script`` turns it into a server script and the notes on what a replay cannot
reproduce; ``write`` adds the client, the message and the expectation, and writes the file.
"""
