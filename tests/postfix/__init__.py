"""A real Postfix on loopback (instance.py), and the tests that check its configurations."""
