"""On SQLite a case's rules (and the process's scripts and conditions) run holding no write lock:
a unit of work that starts by loading a case reads, computes, and only then takes the lock to
save with the version check. So a slow step on one case never holds up the window on another,
and a change made to the same case meanwhile is caught, not overwritten."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.errors import Conflict, ScriptError
from engine.model import CardKind
from engine.services import cases
from engine.services.catalogue_admin import deploy
from tests.conftest import PROCESSES, MovableClock, make_env
from tests.staff import CLERK, A, person  # noqa: F401


@pytest.fixture
def two_envs(tmp_path: Path, clock: MovableClock):  # noqa: ANN201
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = make_env(url, clock)
    deploy(first, [str(PROCESSES / "food_business_licence.bpmn")], actor=A("designer"))
    second = make_env(url, clock)  # another process on the same file
    yield first, second
    first.engine.dispose()  # type: ignore[attr-defined]
    second.engine.dispose()  # type: ignore[attr-defined]


def _accepted(env, name: str) -> str:  # noqa: ANN001
    number = cases.start_case(env, "XK-SPJY-001", person(name), actor=A(CLERK)).number
    cases.accept(env, number, actor=A("王窗口"))
    return number


def test_another_case_can_be_worked_on_while_a_case_is_being_computed(two_envs) -> None:  # noqa: ANN001
    first, second = two_envs
    slow, other = _accepted(first, "甲"), _accepted(first, "乙")
    done = threading.Event()

    def window() -> None:  # the other process accepts … completes a step on another case
        step = cases.find_case(second, other).open_steps()[0]
        cases.complete_task(second, step.id, actor=A("核查员"), data={"opinion": "合格"})
        done.set()

    with first.uow() as uow:
        case = cases.load(first, uow, slow)  # read: no write lock yet
        worker = threading.Thread(target=window)
        worker.start()
        worker.join(timeout=15)
        assert done.is_set(), "the other case waited for this unit of work's lock"
        case.card(CardKind.WARNING, "promised", None, "计算完成")
        uow.cases.save(case)  # now the lock, and the version check
        uow.commit()
    assert [c.note for c in cases.find_case(first, slow).cards] == ["计算完成"]
    assert cases.find_case(first, other).open_steps()[0].name == "审核"


def test_a_change_to_the_same_case_meanwhile_is_caught_not_overwritten(two_envs) -> None:  # noqa: ANN001
    first, second = two_envs
    number = _accepted(first, "丙")
    with first.uow() as uow:
        case = cases.load(first, uow, number)
        step = case.open_steps()[0]
        cases.complete_task(second, step.id, actor=A("核查员"), data={"opinion": "合格"})
        case.card(CardKind.WARNING, "promised", None, "不会写入")
        with pytest.raises(Conflict):
            uow.cases.save(case)
            uow.commit()
    after = cases.find_case(first, number)
    assert after.cards == [] and after.open_steps()[0].name == "审核"


# A condition that computes for a long time (it is stopped at the time limit) runs in a sandbox
# process while no unit of work holds the write lock: another process writes meanwhile, and the
# case whose condition was stopped is left as it was, its step still open.
SLOW = ('acceptance == "accept" and '
        'len([1 for i in range(10**6) for j in range(10**6)]) > 0')


@pytest.fixture
def slow_condition_envs(tmp_path: Path, clock: MovableClock):  # noqa: ANN201
    from engine.services.catalogue_admin import deploy_bytes

    url = f"sqlite:///{tmp_path / 'slow.db'}"
    first = make_env(url, clock)
    xml = (PROCESSES / "food_business_licence.bpmn").read_text(encoding="utf-8")
    assert xml.count('>acceptance == "accept"<') == 1
    xml = xml.replace('>acceptance == "accept"<', f">{escape(SLOW)}<")
    deploy_bytes(first, [("food_business_licence.bpmn", xml.encode())], actor=A("designer"))
    second = make_env(url, clock)
    yield first, second
    first.engine.dispose()  # type: ignore[attr-defined]
    second.engine.dispose()  # type: ignore[attr-defined]


def test_another_process_writes_while_a_slow_condition_runs_and_the_case_stays_as_it_was(
        slow_condition_envs) -> None:  # noqa: ANN001
    first, second = slow_condition_envs
    slow = cases.start_case(first, "XK-SPJY-001", person("丁"), actor=A(CLERK)).number
    outcome: list[BaseException] = []
    finished_at: list[float] = []

    def accept_slow_case() -> None:
        try:
            cases.accept(first, slow, actor=A("王窗口"))
        except BaseException as err:  # noqa: BLE001 - the test reads it below
            outcome.append(err)
        finished_at.append(time.monotonic())

    worker = threading.Thread(target=accept_slow_case)
    worker.start()
    time.sleep(0.3)  # the condition is running in its sandbox by now
    other = cases.start_case(second, "XK-SPJY-001", person("戊"), actor=A(CLERK)).number
    wrote_at = time.monotonic()
    worker.join(timeout=30)
    assert finished_at and wrote_at < finished_at[0], "the write waited for the slow condition"
    [err] = outcome
    assert isinstance(err, ScriptError) and "longer than" in str(err), err
    assert "Traceback" not in str(err)
    assert [s.name for s in cases.find_case(first, slow).open_steps()] == ["受理"]
    assert cases.find_case(first, other).open_steps()[0].name == "受理"
