"""Pages: the Jinja2 environment (templates/, Chinese source strings, translated by Babel's
catalogue through ``jinja2.ext.i18n``, see i18n.py), its filters, and ``render`` — every page
is rendered here with the signed-in person, their CSRF token and the request's language."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from adapters.web import i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTMX = "htmx-2.0.11.min.js"

MARKS = {"red": "超期", "yellow": "今日到期"}
CHANNELS = {"window": "现场", "online": "网上", "mail": "邮寄", "registered_mail": "挂号邮寄"}
STEP_STATUS = {"ready": "待办", "completed": "已办", "cancelled": "已取消"}
CLOCK = {"not_started": "未起算", "running": "计时中", "suspended": "暂停计时", "stopped": "已停止"}
EVENT_KINDS = {
    "received": "收件", "accepted": "受理", "accepted_with_gaps": "容缺受理",
    "not_accepted": "不予受理", "supplement_requested": "一次性告知补正",
    "supplement_received": "补正材料已收", "gaps_made_up": "容缺材料已补齐",
    "step_ready": "环节到达", "step_claimed": "认领", "step_released": "退回岗位",
    "step_reassigned": "转办", "step_completed": "环节办结", "decided": "作出决定",
    "clock_stopped": "停止计时", "clock_resumed": "恢复计时", "extension_requested": "申请延期",
    "extension_decided": "延期决定", "extension_refused": "延期不予批准",
    "deadlines_recomputed": "重新计算时限", "card_issued": "亮牌", "breach_recorded": "违诺记录",
    "breach_decided": "违诺处理决定", "deemed_approved": "超时默许（视为准予）",
    "deemed_approval_pending": "即将超时默许", "deemed_renewal_pending": "即将视为准予延续",
    "applicant_notified": "通知申请人", "applicant_flagged": "申请人标记", "withdrawn": "撤件",
    "terminated": "终止办理", "case_closed": "办结", "forwarded_to_higher_organ": "上报上级机关",
    "timer_failed": "时限处理失败", "period_ended": "期满", "deemed_renewed": "视为准予延续",
    "card_replied": "回告", "card_appealed": "申诉", "card_decided": "亮牌复核决定",
    "case_ordered": "督办", "order_replied": "督办回复", "breach_person_named": "违诺责任人认定",
    "rated": "好差评", "review_replied": "差评整改回复", "complaint_recorded": "投诉登记",
    "complaint_decided": "投诉调查结论", "supervised": "记录办件数据变化",
    "personal_data_erased": "个人信息保存期满删除",
}


def _tz(request: Request | None) -> ZoneInfo:
    env = request.app.state.env if request is not None else None
    return env.calendar().tz if env is not None else ZoneInfo("Asia/Shanghai")


def local_time(value: Any, tz: ZoneInfo) -> str:
    """2026-03-02 09:00 in the installation's time zone; an ISO text is read first."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks read as one line of text
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(MARKS=MARKS, CHANNELS=CHANNELS, STEP_STATUS=STEP_STATUS, CLOCK=CLOCK,
                       EVENT_KINDS=EVENT_KINDS, HTMX=HTMX)
    return env


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    from adapters.web.sessions import keep_login_token

    tz = _tz(request)
    lang = i18n.choose(request)
    other, other_label = i18n.SWITCH[lang]
    signed = getattr(request.state, "signed", None) or None
    values = {"request": request, "signed": signed, "user": signed.actor if signed else None,
              "csrf": signed.csrf if signed else "", "error": None, "notice": None,
              "local": lambda v: local_time(v, tz), "htmx": request.headers.get("HX-Request") == "true",
              "lang": lang, "html_lang": i18n.HTML_LANG[lang],
              "lang_switch": (i18n.switch_url(request, other), other_label, i18n.HTML_LANG[other]),
              **(context or {})}
    token = i18n.use(lang)
    try:
        html = environment().get_template(name).render(values)
    finally:
        i18n.done(token)
    response = HTMLResponse(html, status_code=status, headers=headers)
    i18n.remember(request, response)
    keep_login_token(request, response)
    return response
