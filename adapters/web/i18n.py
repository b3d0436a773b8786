"""The pages' language: Chinese (zh-CN, the templates' source strings) by default, English from
the Babel catalogue translations/en/LC_MESSAGES/messages.po (compiled to messages.mo).

The language of a request: ``?lang=en`` / ``?lang=zh`` (which also sets the cookie ``lang``),
else the cookie, else the browser's Accept-Language, else Chinese. Messages from the engine are
not translated here: they are Chinese first with English in parentheses already.

After editing the .po: ``python -m adapters.web.i18n`` compiles it to the .mo (both are
committed; a test checks they agree).
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
LANGS = ("zh", "en")
DEFAULT = "zh"
COOKIE = "lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
SWITCH = {"zh": ("en", "English"), "en": ("zh", "中文")}  # the header's link to the other one

_current: ContextVar[str] = ContextVar("sunshine_lang", default=DEFAULT)


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    from babel.support import Translations

    return Translations.load(str(TRANSLATIONS), [lang], DOMAIN)


def _accepted(header: str) -> str | None:
    """The first of our languages the browser prefers (``en-GB,en;q=0.8,zh;q=0.5``)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in LANGS and q > 0:
            ranked.append((-q, i, primary))
    return min(ranked)[2] if ranked else None


def asked(request: Request) -> str | None:
    """The language named in the address (``?lang=en``), if one of ours."""
    lang = request.query_params.get("lang", "").lower()
    return lang if lang in LANGS else None


def choose(request: Request) -> str:
    chosen = asked(request)
    if chosen:
        return chosen
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGS:
        return cookie
    return _accepted(request.headers.get("accept-language", "")) or DEFAULT


def remember(request: Request, response: Response) -> None:
    """``?lang=…`` is kept in the cookie ``lang`` for the next pages."""
    chosen = asked(request)
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, path="/", samesite="lax",
                            httponly=True)


def switch_url(request: Request, lang: str) -> str:
    """This page in the other language (a page answering a POST: the task list)."""
    if request.method not in ("GET", "HEAD"):
        return "/?" + urlencode({"lang": lang})
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", lang)])


def use(lang: str) -> object:
    """Make ``lang`` the language of the templates rendered next (in this context)."""
    return _current.set(lang)


def done(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current() -> str:
    return _current.get()


def gettext(message: str) -> str:
    if not message:  # "" would be the catalogue's header
        return message
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def compile_catalogue(lang: str = "en") -> bytes:
    """The .mo of ``lang``'s .po, as bytes."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def main() -> None:
    for lang in LANGS:
        if lang == DEFAULT:
            continue
        mo = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        mo.write_bytes(compile_catalogue(lang))
        print(f"wrote {mo}")


if __name__ == "__main__":
    main()
