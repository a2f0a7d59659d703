"""The built-in scenario library, installed as the package ``smtp_scenarios``.

A package only so that the wheel carries it: ``harness.library`` finds it through
``importlib.resources``, and nothing here is imported for its code.
"""
