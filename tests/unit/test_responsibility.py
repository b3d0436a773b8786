"""Who a breach on an unclaimed step names (engine/services/responsibility.py): the post's only
active holder in that unit, else its only leader, else nobody — and how that was decided."""

from __future__ import annotations

from engine.identity import User
from engine.services.responsibility import responsible

SCJG = "县市场监督管理局"


def user(login: str, *, posts: tuple[str, ...] = (), leads: tuple[str, ...] = (),
         unit: str = SCJG, active: bool = True) -> User:
    return User(login=login, name=login, unit=unit, roles=["handler"], posts=list(posts),
                leads=list(leads), active=active)


def test_the_only_holder_of_the_post_in_that_unit_is_named() -> None:
    users = [user("hecha", posts=("现场核查岗",)),
             user("zjj_hecha", posts=("现场核查岗",), unit="县住房和城乡建设局"),  # another unit
             user("old", posts=("现场核查岗",), active=False)]  # disabled: not on duty
    assert responsible(users, "现场核查岗", SCJG) == ("hecha", "sole_holder")


def test_with_several_holders_the_post_s_only_leader_is_named() -> None:
    users = [user("a", posts=("审核岗",)), user("b", posts=("审核岗",)),
             user("kezhang", posts=("审核岗",), leads=("审核岗",))]
    assert responsible(users, "审核岗", SCJG) == ("kezhang", "leader")


def test_a_seconded_holder_counts_in_the_unit_named_by_the_post() -> None:
    users = [user("jiezhu", posts=("审核岗@" + SCJG,), unit="县政务服务中心")]
    assert responsible(users, "审核岗", SCJG) == ("jiezhu", "sole_holder")


def test_nobody_is_named_when_no_single_person_answers_for_the_post() -> None:
    two_leaders = [user("a", posts=("审核岗",), leads=("审核岗",)),
                   user("b", posts=("审核岗",), leads=("审核岗",))]
    assert responsible(two_leaders, "审核岗", SCJG) == (None, "none")
    assert responsible([], "审批岗", SCJG) == (None, "none")
    assert responsible([user("x", posts=("审批岗",))], None, SCJG) == (None, "none")
