"""Mutation testing of netmail, judged by the scenario suite alone (issue 13).

cosmic-ray plants one small bug at a time in ``netmail/`` (a flipped comparison, a changed
constant, a swapped exception class); ``python -m mutation`` runs the scenarios against each
mutant with both the blocking and the asyncio client and reports which mutants survived, by
file and line. A survivor is either a behaviour no scenario checks (write one) or a change no
client could observe (list it, with why, in ``mutation/equivalent.yaml``).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "cosmic-ray.toml"
EQUIVALENT = Path(__file__).resolve().parent / "equivalent.yaml"
