"""好差评: the applicant rates a finished case, once; a bad rating opens a review for the unit.

国办发〔2019〕51号 (政务服务“好差评”制度) and GB/T 39734-2020: five levels — 5 非常满意, 4 满意,
3 基本满意, 2 不满意, 1 非常不满意 — the bottom two being bad ratings (差评); one rating per matter
(一事一评); every bad rating is verified, rectified (整改) and answered within a limit. Here:

* The applicant rates on the public page (/rate, the receipt's link) with the case number and
  query code — a wrong pair gets the same answer as an unknown case, as the public lookup does —
  or the window records a rating given at the window or by phone (``RECORD_RATING``).
* Only a case that is closed with a result (办结, 不予受理, 撤件 …) can be rated, once: the
  ratings table holds one row per case, and a second attempt says when it was rated.
* A bad rating (score ≤ ``BAD_AT_MOST``) opens a review for the unit whose power it was: its staff
  reply with what was verified and put right (``REPLY_REVIEW``) by the ``REVIEW_DAYS``-th working
  day after the rating. A review not answered by the end of that day is carded (a yellow card on
  the case, ``against="review"``) by the deadline sweep, or when the late reply comes in,
  whichever is first.

Every rating, reply and card is also an event in the case's trail. Complaints (投诉) are
engine/services/complaints.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.case import Case
from engine.deadlines import end_of_day
from engine.errors import InvalidAction, NotFound
from engine.identity import SYSTEM, Action, Actor, decide
from engine.model import CardKind, Rating
from engine.ports import UnitOfWork
from engine.services.cases import in_case, load, save_case
from engine.services.context import Env
from engine.services.identity import require

SCORES: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_AT_MOST = 2  # 不满意 and 非常不满意 are bad ratings (差评)
# The working days a unit has to verify, rectify and answer a bad rating. 国办发〔2019〕51号 asks
# for 限期整改 and a reply; provincial rules set the limit (Sichuan 15 working days, Dezhou 5):
# we take the provincial 15, counted on the working-day calendar from the day of the rating.
REVIEW_DAYS = 15
WORDS_LIMIT = 500  # what the applicant may write with a rating, in characters
REPLY_LIMIT = 2000  # the unit's reply: what was verified and put right
RATING_CHANNELS: dict[str, str] = {"web": "网上评价", "qr": "扫码评价", "window": "窗口代录",
                                   "phone": "电话回访代录"}
PUBLIC_CHANNELS = ("web", "qr")  # the applicant's own
STAFF_CHANNELS = ("window", "phone")  # given to the window, recorded on the applicant's behalf
PUBLIC = "public"  # how the trail names an applicant rating on their own (a reserved login)
UNKNOWN_PAIR = "没有与该办件编号和查询码相符的办件，请核对回执上的两项 (no case matches this number and query code)"


def _score(value: int | str) -> int:
    try:
        score = int(str(value).strip())
    except ValueError:
        score = 0
    if score not in SCORES:
        levels = "，".join(f"{k} {v}" for k, v in SCORES.items())
        raise InvalidAction(f"评价“{value}”无效：请选 1 到 5 分（{levels}） (score must be 1–5)",
                            field="score")
    return score


def _text(value: str | None, limit: int, what: str, field: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidAction(f"{what}不能为空 ({field} is empty)", field=field)
    if len(text) > limit:
        raise InvalidAction(f"{what}最多 {limit} 字，现有 {len(text)} 字，请删减 ({field} too long)",
                            field=field)
    return text


def _acting(case: Case, at: datetime, login: str) -> None:
    """The case's rules record who acts and when (every method of the aggregate starts so)."""
    case._act(at, login)  # noqa: SLF001 - the aggregate's own way to set its acting time


def _day(env: Env, at: datetime | None) -> str:
    return env.calendar().local_date(at).isoformat() if at else "—"


def _load_case(env: Env, uow: UnitOfWork, number: str) -> Case | None:
    try:
        return load(env, uow, number.strip())
    except NotFound:
        return None


# -- rating ------------------------------------------------------------------------------------

def rate(env: Env, number: str, query_code: str, score: int | str, words: str = "", *,
         channel: str = "web", now: datetime | None = None) -> Rating:
    """The applicant's own rating, on the public page: the number and query code on the
    receipt prove it is theirs (a wrong pair is answered as an unknown case)."""
    if channel not in PUBLIC_CHANNELS:
        raise InvalidAction(f"评价渠道“{channel}”无效 (unknown channel)", field="channel")
    return _rate(env, number, score, words, channel, code=query_code or "", actor=None, now=now)


def record_rating(env: Env, number: str, score: int | str, words: str = "", *, channel: str,
                  actor: Actor, now: datetime | None = None) -> Rating:
    """The window records a rating the applicant gave at the window or by phone."""
    if channel not in STAFF_CHANNELS:
        names = "、".join(f"{c}（{RATING_CHANNELS[c]}）" for c in STAFF_CHANNELS)
        raise InvalidAction(f"代录评价的渠道“{channel}”无效，可选：{names} (channel: window or "
                            f"phone)", field="channel")
    require(env, actor, Action.RECORD_RATING, target=number, now=now)
    return _rate(env, number, score, words, channel, code=None, actor=actor, now=now)


def _rate(env: Env, number: str, score: int | str, words: str, channel: str, *,
          code: str | None, actor: Actor | None, now: datetime | None) -> Rating:
    at = env.now(now)
    value = _score(score)
    text = _text(words, WORDS_LIMIT, "评价意见", "words", required=False)
    cal = env.calendar()
    with env.uow() as uow:
        case = _load_case(env, uow, number)
        if code is not None and (case is None or not code.strip()
                                 or case.query_code != code.strip().upper()):
            raise NotFound(UNKNOWN_PAIR, field="code")
        if case is None:
            raise NotFound(f"没有办件 {number.strip()}，请核对办件编号 (no such case)", field="case")
        if case.closed_at is None or case.result is None:
            raise InvalidAction(f"办件 {case.number} 尚未办结（{case.state.label}），办结后才能评价 "
                                f"(the case is not closed yet)", field="case")
        if at < case.closed_at:
            raise InvalidAction(f"评价时间早于办结时间 {_day(env, case.closed_at)} (a rating cannot "
                                f"be dated before the case closed)", field="case")
        earlier = uow.ratings.for_case(case.id or 0)
        if earlier is not None:
            raise InvalidAction(
                f"办件 {case.number} 已于 {_day(env, earlier.rated_at)} 评价"
                f"（{SCORES[earlier.score]}），每件只能评价一次 (already rated on "
                f"{_day(env, earlier.rated_at)})", field="case")
        due = cal.add_working_days(cal.local_date(at), REVIEW_DAYS) if value <= BAD_AT_MOST \
            else None
        rating = Rating(case_id=case.id or 0, case_number=case.number,
                        power_code=case.power_code, unit=case.power.unit, score=value,
                        rated_at=at, channel=channel, words=text, review_due=due)
        case.stamp(actor_name=actor.name if actor else "申请人",
                   written_at=env.written_at())
        _acting(case, at, actor.login if actor else PUBLIC)
        case.event("rated", score=value, label=SCORES[value], channel=channel, words=text,
                   review_due=due.isoformat() if due else None)
        save_case(uow, case, at)
        uow.ratings.add(rating)  # after the save: SQLite writes under the case's write lock
        uow.commit()
    return rating


# -- the unit's review of a bad rating ----------------------------------------------------------

def _late(env: Env, rating: Rating, at: datetime) -> bool:
    return rating.review_due is not None and at >= end_of_day(env.calendar(), rating.review_due)


def _card_note(rating: Rating) -> str:
    return (f"差评（{SCORES[rating.score]}）的整改回复应于 {rating.review_due} 前由{rating.unit}作出，"
            f"逾期未回复")


def reply_review(env: Env, number: str, text: str, *, actor: Actor,
                 now: datetime | None = None) -> Rating:
    """The unit answers a bad rating: what was verified and put right (整改). Once; a reply
    after the day is taken, and the review is carded for lateness if the sweep has not yet."""
    at = env.now(now)
    answer = _text(text, REPLY_LIMIT, "整改回复（核实和整改情况）", "text", required=True)
    with env.uow() as uow:
        case = _load_case(env, uow, number)
        rating = uow.ratings.for_case(case.id or 0) if case is not None else None
    if case is None:
        raise NotFound(f"没有办件 {number.strip()}，请核对办件编号 (no such case)", field="case")
    if rating is None or rating.review_due is None:
        raise InvalidAction(f"办件 {case.number} 没有差评，无需整改回复 (no bad rating to answer)",
                            field="case")
    require(env, actor, Action.REPLY_REVIEW, target=case.number, now=now, unit=rating.unit)
    if rating.reply is not None:
        raise InvalidAction(f"办件 {case.number} 的差评已由 {rating.replied_by} 于 "
                            f"{_day(env, rating.replied_at)} 回复，不能再次回复 (already replied)",
                            field="case")
    if at < rating.rated_at:
        raise InvalidAction("回复时间早于评价时间 (a reply cannot be dated before the rating)")
    with env.uow() as uow:
        case = load(env, uow, case.number)
        rating = uow.ratings.for_case(case.id or 0) or rating
        if rating.reply is not None:  # answered meanwhile by a colleague
            raise InvalidAction(f"办件 {case.number} 的差评已由 {rating.replied_by} 回复 "
                                f"(already replied)", field="case")
        late = _late(env, rating, at)
        case.stamp(actor_name=actor.name, written_at=env.written_at())
        _acting(case, at, actor.login)
        rating.reply, rating.replied_by, rating.replied_at = answer, actor.login, at
        case.event("review_replied", score=rating.score, reply=answer, late=late)
        if late and rating.carded_at is None:
            case.card(CardKind.YELLOW, "review", None, _card_note(rating))
            rating.carded_at = at
        save_case(uow, case, at)
        uow.ratings.save(rating)
        uow.commit()
    return rating


@dataclass
class ReviewSweep:
    """What one pass over the overdue reviews did: the cases carded, the failures."""

    carded: list[str]
    errors: list[str]


def card_overdue_reviews(env: Env, now: datetime | None = None) -> ReviewSweep:
    """Card every bad rating's review not answered by the end of its day (the deadline sweep
    calls this). Each in its own transaction, so one broken case stops no other; safe to run
    twice: the card is issued once per case (``Case.card``), then the rating marked."""
    at = env.now(now)
    today = env.calendar().local_date(at)
    with env.uow() as uow:
        due = uow.ratings.reviews_due(today)
    done = ReviewSweep(carded=[], errors=[])
    for rating in due:
        try:
            _card_review(env, rating, at)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as err:  # noqa: BLE001 - one broken case must not stop the rest
            done.errors.append(f"case {rating.case_number} review: "
                               f"{err.__class__.__name__}: {err}")
            continue
        done.carded.append(rating.case_number)
    return done


def _card_review(env: Env, rating: Rating, at: datetime) -> None:
    def card(case: Case, when: datetime) -> bool:
        _acting(case, when, SYSTEM.login)
        return case.card(CardKind.YELLOW, "review", None, _card_note(rating))

    in_case(env, rating.case_number, at, card, actor=SYSTEM)
    with env.uow() as uow:
        stored = uow.ratings.for_case(rating.case_id)
        if stored is not None and stored.carded_at is None:
            stored.carded_at = at
            uow.ratings.save(stored)
            uow.commit()


# -- what supervisors and the units see ----------------------------------------------------------

@dataclass(frozen=True)
class RatingRow:
    """A rating as the lists show it; for a bad one, where its review stands."""

    rating: Rating
    label: str
    due_at: datetime | None  # the end of the review's last day
    overdue: bool  # a review not answered by its day, or answered late

    @property
    def bad(self) -> bool:
        return self.rating.review_due is not None

    @property
    def review(self) -> str:
        """待回复, 已回复, 逾期未回复, 逾期回复 (— for a rating that opened no review)."""
        r = self.rating
        if r.review_due is None:
            return "—"
        if r.reply is None:
            return "逾期未回复" if self.overdue else "待回复"
        return "逾期回复" if self.overdue else "已回复"


@dataclass(frozen=True)
class RatingBoard:
    """How the applicants rated: counts by score, and the ratings listed."""

    at: datetime
    counts: tuple[tuple[int, str, int], ...]  # (score, label, how many), 5 first
    total: int
    bad: int
    overdue: int
    rows: tuple[RatingRow, ...]


def _row(env: Env, rating: Rating, at: datetime) -> RatingRow:
    due_at = end_of_day(env.calendar(), rating.review_due) if rating.review_due else None
    late = due_at is not None and (
        (rating.replied_at is None and at >= due_at)
        or (rating.replied_at is not None and rating.replied_at >= due_at))
    return RatingRow(rating=rating, label=SCORES[rating.score], due_at=due_at, overdue=late)


def _ordered(rows: list[RatingRow]) -> tuple[RatingRow, ...]:
    """Unanswered overdue reviews first, then reviews waiting (soonest due first), then the
    rest, newest first."""
    def key(row: RatingRow) -> tuple[int, str, float]:
        r = row.rating
        waiting = r.review_due is not None and r.reply is None
        rank = 0 if waiting and row.overdue else 1 if waiting else 2
        due = r.review_due.isoformat() if waiting and r.review_due else ""
        return rank, due, -r.rated_at.timestamp()
    return tuple(sorted(rows, key=key))


def rating_board(env: Env, actor: Actor, *, bad: bool = False, overdue: bool = False,
                 now: datetime | None = None) -> RatingBoard:
    """For supervisors: counts by score, and the ratings (``bad``: only bad ones; ``overdue``:
    only reviews past their day), overdue reviews first."""
    at = env.now(now)
    require(env, actor, Action.VIEW_SUPERVISION, target="ratings", now=now)
    with env.uow() as uow:
        counts = uow.ratings.counts()
        every_bad = [_row(env, r, at) for r in uow.ratings.list(bad=True, limit=100_000)]
        rows = every_bad if bad or overdue else [
            _row(env, r, at) for r in uow.ratings.list(limit=5000)]
    if overdue:
        rows = [r for r in rows if r.overdue]
    return RatingBoard(
        at=at, counts=tuple((s, SCORES[s], counts.get(s, 0)) for s in sorted(SCORES, reverse=True)),
        total=sum(counts.values()), bad=len(every_bad),
        overdue=sum(1 for r in every_bad if r.overdue and r.rating.reply is None),
        rows=_ordered(rows))


def unit_reviews(env: Env, actor: Actor, now: datetime | None = None) -> list[RatingRow]:
    """The bad ratings a person's unit answers for (what REPLY_REVIEW lets them reply to),
    those still waiting first."""
    at = env.now(now)
    with env.uow() as uow:
        stored = uow.ratings.list(bad=True, limit=100_000)
    mine = [r for r in stored if decide(actor, Action.REPLY_REVIEW, unit=r.unit).allowed]
    return list(_ordered([_row(env, r, at) for r in mine]))


def rating_of(env: Env, number: str, now: datetime | None = None) -> RatingRow | None:
    """The rating of one case, if it has been rated (for the case's own pages)."""
    at = env.now(now)
    with env.uow() as uow:
        case = _load_case(env, uow, number)
        rating = uow.ratings.for_case(case.id or 0) if case is not None else None
    return _row(env, rating, at) if rating is not None else None

