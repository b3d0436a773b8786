"""The JSON API under /api/ (described at /openapi.json), for other government systems.

A caller authenticates with an API key (``Authorization: Bearer ssk_…``, identity.
actor_for_api_key) or, from this site's own pages, with the session cookie plus the
``X-CSRF-Token`` header on a POST. The services check permissions exactly as for the pages: a
key acts as its user, with that user's roles and posts, and a refusal is a 403 recorded like
any other. Errors are ``{code, message, field?}`` with the same statuses as the pages
(errors.py); input that does not fit the schema is a 400 ``invalid_input``, never a 500.

Every route declares its answers (models and error statuses), so /openapi.json says what the
API really does; tests/web/test_web_schema.py holds the API to it with schemathesis.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from adapters.web import sessions
from adapters.web.deps import env_of
from adapters.web.errors import WebError
from engine.applicants import Applicant
from engine.identity import Actor
from engine.services import admin_views, cases, identity, views
from engine.services.supervision import case_record, public_lookup

router = APIRouter(prefix="/api", tags=["api"])

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="API 密钥（由系统管理员生成）：Authorization: Bearer ssk_…")


# -- errors ----------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every refusal: a stable code, a one-line message (Chinese, with English), and the input
    field it is about, if any."""

    code: str = Field(description="invalid_input, not_signed_in, permission_denied, not_found, "
                                  "invalid_action, conflict, …")
    message: str
    field: str | None = None


_SAYS = {
    400: "输入不符合接口说明 (invalid_input)",
    401: "没有 API 密钥，也没有登录 (not_signed_in)",
    403: "权限不足，或 API 密钥无效、已撤销 (permission_denied), 或缺少 CSRF 校验 (bad_csrf)",
    404: "没有这个办件、环节或事项 (not_found)",
    409: "当前状态不能这样办理，或输入的内容不被接受 (invalid_action, conflict)",
    422: "流程定义、条件脚本或工作日历无法处理 (script_error, calendar_error)",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody, "description": _SAYS[s]} for s in statuses}


STAFF = _errors(400, 401, 403, 404, 409, 422)  # every route that acts or reads as a user
PUBLIC = _errors(400, 404)


# -- links (OpenAPI): what an answer leads to, for a client and for schemathesis' state machine -


def _link(operation: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": parameters}


_CASE = "$response.body#/number"
_CASE_LINKS = {
    "GetCase": _link("case_api_cases__number__get", number=_CASE),
    "AcceptCase": _link("accept_api_cases__number__accept_post", number=_CASE),
    "RefuseCase": _link("refuse_api_cases__number__refuse_post", number=_CASE),
    "SupplementCase": _link("supplement_api_cases__number__supplement_post", number=_CASE),
    "SupplementReceived": _link(
        "supplement_received_api_cases__number__supplement_received_post", number=_CASE),
    "Lookup": _link("lookup_api_lookup_get", number=_CASE, code="$response.body#/query_code"),
}
_STEP_LINKS = {
    "GetStep": _link("step_api_cases__number__steps__task_id__get",
                     number="$response.body#/case_number", task_id="$response.body#/id"),
    "Claim": _link("claim_api_tasks__task_id__claim_post", task_id="$response.body#/id"),
    "Complete": _link("complete_api_tasks__task_id__complete_post", task_id="$response.body#/id"),
}
_FIRST_TASK_LINKS = {
    "GetFirstStep": _link("step_api_cases__number__steps__task_id__get",
                          number="$response.body#/0/case_number", task_id="$response.body#/0/id"),
    "ClaimFirst": _link("claim_api_tasks__task_id__claim_post", task_id="$response.body#/0/id"),
    "CompleteFirst": _link("complete_api_tasks__task_id__complete_post",
                           task_id="$response.body#/0/id"),
    "GetFirstCase": _link("case_api_cases__number__get", number="$response.body#/0/case_number"),
}
_FORM_LINKS = {
    "Complete": _link("complete_api_tasks__task_id__complete_post", task_id="$response.body#/step_id"),
    "Claim": _link("claim_api_tasks__task_id__claim_post", task_id="$response.body#/step_id"),
}


def _answer(model: Any, links: dict[str, Any], description: str = "Successful Response"
            ) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description, "links": links}}


# -- who calls --------------------------------------------------------------------------------


def api_actor(request: Request,
              key: HTTPAuthorizationCredentials | None = Security(bearer)) -> Actor:
    """The caller: the API key's user or, from this site's pages, the signed-in person (a POST
    with the session's CSRF token in ``X-CSRF-Token``)."""
    env = env_of(request)
    if key is not None:
        return identity.actor_for_api_key(env, key.credentials)
    signed = sessions.current(env, request)
    if signed is None:
        raise WebError("需要 API 密钥（Authorization: Bearer …）或登录 (authentication required)",
                       status=401, code="not_signed_in")
    if request.method not in sessions.SAFE_METHODS:
        sessions.check_csrf(request, signed, None)
    return signed.actor


Caller = Annotated[Actor, Depends(api_actor)]
# A case number (2026-食品-000001) and a step's id (a UUID, or a unique prefix of 6 or more of
# its characters as the task list prints it).
CaseNumber = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$",
                                 description="办件编号，如 2026-食品-000001")]
TaskId = Annotated[str, Path(min_length=6, max_length=36, pattern=r"^[0-9A-Fa-f-]+$",
                             description="环节编号（UUID，或其前 6 位以上）")]
PowerCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$",
                                description="事项编码，如 XK-SPJY-001")]
Text = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
FormData = Annotated[dict[str, Any], Field(
    default_factory=dict, description="表单字段：名称 → 值（见该环节的 fields）")]


# -- answers ----------------------------------------------------------------------------------


class CaseOut(BaseModel):
    """A case after an action: its state, clock and deadlines."""

    number: str
    query_code: str = Field(description="查询码：申请人凭办件编号和查询码查询进度")
    power_code: str
    applicant: str
    state: str
    state_label: str
    clock: str
    accepted_at: datetime | None
    deemed_accepted: bool
    promised_day: date | None = Field(description="承诺办结日期")
    promised_due_at: datetime | None
    statutory_day: date | None = Field(description="法定时限届满日期")
    statutory_due_at: datetime | None
    provisional: bool = Field(description="日期按尚未公布的节假日安排暂定")
    stopped_days: int
    extended_days: int
    result: str | None
    deemed: bool = Field(description="超时默许（视为准予）")
    gaps_due_at: datetime | None = Field(description="容缺材料补齐期限")
    closed_at: datetime | None
    existing: bool = Field(description="true：同一请求编号此前已收件，这是当时的办件")

    @classmethod
    def of(cls, v: views.CaseView) -> CaseOut:
        return cls(number=v.number, query_code=v.query_code, power_code=v.power_code,
                   applicant=v.applicant, state=v.state.value, state_label=v.state.label,
                   clock=v.clock.value, accepted_at=v.accepted_at,
                   deemed_accepted=v.deemed_accepted, promised_day=v.promised_day,
                   promised_due_at=v.promised_due, statutory_day=v.statutory_day,
                   statutory_due_at=v.statutory_due, provisional=v.provisional,
                   stopped_days=v.stopped_days, extended_days=v.extended_days, result=v.result,
                   deemed=v.deemed, gaps_due_at=v.gaps_due_at, closed_at=v.closed_at,
                   existing=v.existing)


class StepOut(BaseModel):
    id: str
    case_number: str
    name: str
    post: str | None
    assignee: str | None
    status: str

    @classmethod
    def of(cls, v: views.StepView) -> StepOut:
        return cls(id=v.id, case_number=v.case_number, name=v.name, post=v.post,
                   assignee=v.assignee, status=v.status)


class TaskOut(BaseModel):
    """One line of the caller's task list (待办)."""

    id: str
    case_number: str
    power_code: str
    name: str
    post: str | None
    assignee: str | None
    ready_at: datetime
    due_day: date | None
    working_days_left: int | None = Field(description="含今天；负数为已超期的工作日数")
    mark: Literal["red", "yellow"] | None = Field(description="red 超期，yellow 今日到期")

    @classmethod
    def of(cls, t: views.TaskView) -> TaskOut:
        return cls(id=t.id, case_number=t.case_number, power_code=t.power_code, name=t.name,
                   post=t.post, assignee=t.assignee, ready_at=t.ready_at, due_day=t.due_day,
                   working_days_left=t.working_days_left,
                   mark=t.mark if t.mark in ("red", "yellow") else None)  # type: ignore[arg-type]


class OptionOut(BaseModel):
    value: str
    label: str


class FieldOut(BaseModel):
    name: str
    label: str
    type: str = Field(description="string, text, boolean, integer, number, date, choice")
    required: bool
    options: list[OptionOut]


class StepFormOut(BaseModel):
    """A step with the form fields its BPMN file declares (what ``complete`` takes)."""

    case_number: str
    step_id: str
    name: str
    post: str | None
    assignee: str | None
    status: str
    ready_at: datetime
    unit: str
    fields: list[FieldOut]

    @classmethod
    def of(cls, f: views.StepForm) -> StepFormOut:
        return cls(case_number=f.case_number, step_id=f.step_id, name=f.name, post=f.post,
                   assignee=f.assignee, status=f.status, ready_at=f.ready_at, unit=f.unit,
                   fields=[FieldOut(**x.to_dict()) for x in f.fields])


class CaseRecord(BaseModel):
    """案卷: the case's whole record — steps with who, when and opinion, clock stops,
    extensions, cards, breaches, notices, and the audit trail with its chain check."""

    model_config = ConfigDict(extra="allow")

    number: str
    query_code: str
    power: str
    applicant: str
    state: str
    state_label: str
    clock: str
    received_at: str
    accepted_at: str | None
    promised_deadline: str | None
    statutory_deadline: str | None
    result: str | None
    deemed: bool
    steps: list[dict[str, Any]]
    history: list[dict[str, Any]]
    notices: list[dict[str, Any]]


class LookupStep(BaseModel):
    name: str
    post: str | None
    start: str | None
    end: str | None
    status: str


class LookupOut(BaseModel):
    """办件进度 as the public sees it: the applicant's name masked, no ID number, no phone, no
    internal opinion."""

    number: str
    power: str
    unit: str
    applicant: str = Field(description="姓名已脱敏，如 张*三")
    state: str
    received: str | None
    accepted: str | None
    promised_deadline: str | None
    statutory_deadline: str | None
    clock: str
    result: str | None
    result_label: str | None
    deemed: bool
    steps: list[LookupStep]
    complaint_phone: str


class CatalogueOut(BaseModel):
    """A public power in the catalogue (职权目录)."""

    code: str
    name: str
    category: str
    unit: str
    mode: str
    kind: str
    promised_limit: int | None = Field(description="承诺时限（工作日）")
    statutory_limit: int | None = Field(description="法定时限（工作日）；null：法律未规定")
    promised_text: str
    statutory_text: str
    deemed_approval: bool = Field(description="超时默许（或视为准予延续）适用")
    deemed_text: str
    version: int


class MaterialOut(BaseModel):
    name: str
    key: bool = Field(description="false：可容缺后补")
    commitment: bool = Field(description="true：可告知承诺（以书面承诺代替）")


class FeeOut(BaseModel):
    name: str
    basis: str


class GuideStep(BaseModel):
    name: str
    post: str | None
    time_limit: int | None
    counted: bool


class GuideOut(BaseModel):
    """A public power's service guide (办事指南)."""

    code: str
    name: str
    category: str
    unit: str
    mode: str
    promised_limit: int | None
    statutory_limit: int | None
    deemed_approval: bool
    renewal: bool
    legal_basis: str
    conditions: str
    materials: list[MaterialOut]
    fees: list[FeeOut]
    address: str
    hours: str
    consult_phone: str
    complaint_phone: str
    result_name: str
    validity_years: int | None
    steps: list[GuideStep]


# -- what is sent -------------------------------------------------------------------------------


class StartCase(BaseModel):
    """收件: an application received, on the power's version in service."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "power": "XK-SPJY-001", "applicant": "张三", "id_type": "身份证",
        "id_number": "110101199003070011", "phone": "13800001234", "channel": "window",
        "request_key": "province-20260302-0001", "data": {}}]})

    power: str = Field(min_length=1, max_length=64, description="事项编码，如 XK-SPJY-001")
    applicant: str = Field(min_length=1, max_length=200, description="申请人姓名或单位名称")
    id_type: str = Field("身份证", max_length=40, description="证件类型：身份证、统一社会信用代码、护照…")
    id_number: str = Field(min_length=1, max_length=40)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=200)
    address: str = Field("", max_length=500)
    channel: Literal["window", "online", "mail", "registered_mail"] = Field(
        "window", description="现场、网上、邮寄、挂号邮寄")
    received_on: date | None = Field(None, ge=date(2000, 1, 1), le=date(2999, 12, 31),
                                     description="邮寄、网上申请：本机关签收或确认收到的日期")
    request_key: str | None = Field(
        None, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$",
        description="请求编号：重试时带同一编号，返回第一次所建的办件而不重复收件")
    data: FormData


class AcceptCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field("", description="受理意见")
    data: FormData


class RefuseCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(description="不予受理的理由（写入不予受理通知书）")


class SupplementCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]] = Field(
        max_length=100, description="需补正的材料，一次列全")
    why_not_in_first_notice: Text = Field("", description="再次告知的理由（将记为违反一次性告知）")


class SupplementReceived(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = ""


class CompleteTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: FormData


# -- cases ------------------------------------------------------------------------------------


@router.post("/cases", status_code=201, response_model=CaseOut, summary="收件: start a case",
             responses={201: {"description": "收件成功：新办件", "links": _CASE_LINKS},
                        200: {"model": CaseOut, "description": "同一请求编号此前已收件：返回那个办件",
                              "links": _CASE_LINKS},
                        **STAFF})
def start(request: Request, response: Response, body: StartCase, actor: Caller) -> CaseOut:
    applicant = Applicant(body.applicant, body.id_type, body.id_number, phone=body.phone,
                          email=body.email, address=body.address)
    view = cases.start_case(env_of(request), body.power, applicant, dict(body.data),
                            actor=actor, channel=body.channel,
                            received_on=body.received_on.isoformat() if body.received_on else None,
                            request_key=body.request_key)
    if view.existing:
        response.status_code = 200
    return CaseOut.of(view)


@router.get("/cases/{number}", response_model=CaseRecord,
            responses={**STAFF, **_answer(CaseRecord, {"Lookup": _CASE_LINKS["Lookup"]})},
            summary="案卷: a case's whole record")
def case(request: Request, number: CaseNumber, actor: Caller) -> dict[str, Any]:
    return case_record(env_of(request), number, reader=actor)


@router.post("/cases/{number}/accept", response_model=CaseOut,
             responses={**STAFF, **_answer(CaseOut, _CASE_LINKS)},
             summary="受理 (the window)")
def accept(request: Request, number: CaseNumber, body: AcceptCase, actor: Caller) -> CaseOut:
    return CaseOut.of(cases.accept(env_of(request), number, actor=actor, note=body.note,
                                   data=dict(body.data) or None))


@router.post("/cases/{number}/refuse", response_model=CaseOut,
             responses={**STAFF, **_answer(CaseOut, _CASE_LINKS)},
             summary="不予受理, with the reasons (the window)")
def refuse(request: Request, number: CaseNumber, body: RefuseCase, actor: Caller) -> CaseOut:
    return CaseOut.of(cases.refuse_acceptance(env_of(request), number, actor=actor,
                                              reason=body.reason))


@router.post("/cases/{number}/supplement", response_model=CaseOut,
             responses={**STAFF, **_answer(CaseOut, _CASE_LINKS)},
             summary="一次性告知补正: every missing item at once (the window)")
def supplement(request: Request, number: CaseNumber, body: SupplementCase,
               actor: Caller) -> CaseOut:
    return CaseOut.of(cases.request_supplement(
        env_of(request), number, actor=actor, items=list(body.items),
        why_not_in_first_notice=body.why_not_in_first_notice))


@router.post("/cases/{number}/supplement-received", response_model=CaseOut,
             responses={**STAFF, **_answer(CaseOut, _CASE_LINKS)},
             summary="补正材料已收 (the window)")
def supplement_received(request: Request, number: CaseNumber, body: SupplementReceived,
                        actor: Caller) -> CaseOut:
    return CaseOut.of(cases.supplement_received(env_of(request), number, actor=actor,
                                                note=body.note))


@router.get("/cases/{number}/steps/{task_id}", response_model=StepFormOut,
            responses={**STAFF, **_answer(StepFormOut, _FORM_LINKS)},
            summary="A step with the form fields it takes")
def step(request: Request, number: CaseNumber, task_id: TaskId, actor: Caller) -> StepFormOut:
    return StepFormOut.of(views.step_form(env_of(request), number, task_id, reader=actor))


# -- tasks ------------------------------------------------------------------------------------


@router.get("/tasks", response_model=list[TaskOut],
            responses={**STAFF, **_answer(list[TaskOut], _FIRST_TASK_LINKS)},
            summary="我的待办: the caller's steps, least working time left first")
def my_tasks(request: Request, actor: Caller) -> list[TaskOut]:
    return [TaskOut.of(t) for t in views.work_list(env_of(request), actor)]


@router.post("/tasks/{task_id}/claim", response_model=StepOut,
             responses={**STAFF, **_answer(StepOut, _STEP_LINKS)},
             summary="认领 a step")
def claim(request: Request, task_id: TaskId, actor: Caller) -> StepOut:
    return StepOut.of(cases.claim(env_of(request), task_id, actor=actor))


@router.post("/tasks/{task_id}/complete", response_model=CaseOut,
             responses={**STAFF, **_answer(CaseOut, {**_CASE_LINKS, "MyTasks": {
                 "operationId": "my_tasks_api_tasks_get"}})},
             summary="办理 a step with its form data")
def complete(request: Request, task_id: TaskId, actor: Caller,
             body: CompleteTask | None = None) -> CaseOut:
    data = dict(body.data) if body is not None else {}
    return CaseOut.of(cases.complete_task(env_of(request), task_id, actor=actor, data=data))


# -- public -----------------------------------------------------------------------------------


@router.get("/lookup", response_model=LookupOut, responses=PUBLIC,
            summary="办件进度查询 (public, masked)")
def lookup(request: Request,
           number: Annotated[str, Query(min_length=1, max_length=64,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")],
           code: Annotated[str, Query(min_length=1, max_length=32,
                                      pattern=r"^[^\x00-\x1f\x7f]+$")]) -> dict[str, Any]:
    return public_lookup(env_of(request), number, code)


@router.get("/catalogue", response_model=list[CatalogueOut],
            responses={**PUBLIC, **_answer(list[CatalogueOut], {"Guide": _link(
                "guide_api_catalogue__code__get", code="$response.body#/0/code")})},
            summary="职权目录: the public powers in service (public)")
def catalogue(request: Request,
              q: Annotated[str, Query(max_length=100, pattern=r"^[^\x00]*$",
                                      description="名称、编码或实施主体中的字词")] = ""
              ) -> list[CatalogueOut]:
    return [CatalogueOut(**{k: getattr(line, k) for k in CatalogueOut.model_fields})
            for line in admin_views.public_catalogue(env_of(request), q)]


@router.get("/catalogue/{code}", response_model=GuideOut, responses=PUBLIC,
            summary="办事指南: a public power's guide (public)")
def guide(request: Request, code: PowerCode) -> GuideOut:
    p, _ = admin_views.public_guide(env_of(request), code)
    return GuideOut(
        code=p.code, name=p.name, category=p.category, unit=p.unit, mode=p.mode,
        promised_limit=p.promised_limit, statutory_limit=p.statutory_limit,
        deemed_approval=p.deemed_approval, renewal=p.renewal, legal_basis=p.legal_basis,
        conditions=p.conditions,
        materials=[MaterialOut(name=m.name, key=m.key, commitment=m.commitment)
                   for m in p.materials],
        fees=[FeeOut(name=f.name, basis=f.basis) for f in p.fees], address=p.address,
        hours=p.hours, consult_phone=p.consult_phone, complaint_phone=p.complaint_phone,
        result_name=p.result_name, validity_years=p.validity_years,
        steps=[GuideStep(name=s.name, post=s.post, time_limit=s.time_limit, counted=s.counted)
               for s in p.steps])
