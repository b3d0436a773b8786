"""SIGKILLed web processes and workers lose nothing, on SQLite and on PostgreSQL.

The short campaign (a few kills per database) runs in `make test`; the long one (100 kills per
database, ≈ 30 min on two cores) is `make reliability`, or this file with ``-m reliability``.
What each round does and what is checked after every kill: tests/reliability/campaign.py and
invariants.py; the figures of the last long run: docs/reliability.md.
"""

from __future__ import annotations

import pytest

from tests.reliability.campaign import Figures, campaign


def _held(results: list[Figures], kills: int, *, worker_seals: bool) -> None:
    assert [f.backend for f in results] == ["sqlite", "postgres"]
    for fig in results:
        assert fig.problems == [], f"{fig.backend}: " + "\n".join(fig.problems[:20])
        assert fig.kills_web + fig.kills_worker >= kills
        assert fig.kills_web and fig.kills_worker
        assert fig.checks == fig.rounds > 0
        assert fig.steps_committed_found == fig.steps_committed_seen_by_clients
        assert fig.due_left_after_final_sweep == 0
        assert fig.notices and fig.notices_sent == fig.notices
        assert fig.deemed_approvals > 0 and fig.cards > 0
        # the final `audit seal`, and in a long run seals the killed workers wrote
        assert fig.seals_verified > (1 if worker_seals else 0)


@pytest.mark.slow
def test_a_few_kills_of_the_web_and_the_worker_leave_every_invariant_holding() -> None:
    _held(campaign(4, ["sqlite", "postgres"], log=lambda _m: None), 4, worker_seals=False)


@pytest.mark.reliability
def test_a_hundred_kills_per_database_leave_every_invariant_holding() -> None:
    _held(campaign(100, ["sqlite", "postgres"]), 100, worker_seals=True)
