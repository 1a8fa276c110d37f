"""How passwords are stored: Argon2id at a strength chosen for a server that signs in rooms of
people at once.

Django's PBKDF2 (1,000,000 iterations of SHA-256) costs about 0.4 s of CPU per sign-in, and a
training room of 100 people signing in within a minute took every worker of the server (issue
16). Argon2id is memory-hard: what slows an attacker's GPUs down is the memory each guess must
fill, not only the CPU, so it resists guessing at least as well for a tenth of the server's
CPU. The parameters are OWASP's first recommendation for Argon2id (19 MiB of memory, two
passes, one lane: about 35 ms of CPU here); Django's own default (100 MiB, eight lanes) costs
0.26 s and 100 MiB per sign-in in flight. A stored hash of another kind or strength (PBKDF2 from
before, or other parameters set here later) is replaced at the person's next sign-in.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (algorithm "argon2", so its hashes stay readable either way)
    with the memory, passes and lanes of the ARGON2_* settings."""

    @property
    def time_cost(self) -> int:
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:
        return settings.ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:
        return settings.ARGON2_PARALLELISM
