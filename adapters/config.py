"""Settings, read once from the environment (and the CLI's --db) into a typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.errors import ConfigError
from engine.services.context import Rules

DEFAULT_DB = "sqlite:///sunshine.db"
MODES = ("production", "test", "demo")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DB
    timezone: str = "Asia/Shanghai"
    calendar_fallback: bool = False  # weekends-only, flagged provisional, where a year is missing
    sqlite_synchronous: str = "NORMAL"
    sweep_interval_seconds: int = 30
    rules: Rules = Rules()
    # production: the clock is the system's; test and demo installations may time-travel (--now)
    mode: str = "production"
    # delivering notices (docs/operations.md, 通知送达): no SMTP host → e-mail notices wait
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    print_dir: str = "./notices"
    sms_gateway: str = ""  # "", "log" or package.module:factory
    sms_log: str = ""  # the log gateway's file (default: sms.log in the print directory)
    # sealing the audit trail (docs/operations.md, 审计签章): no key → the worker does not seal
    seal_key: str = ""
    seal_dir: str = "./seals"
    # personal data at rest (docs/operations.md, 个人信息): a key file, "none" (plain), or unset
    data_key: str = ""
    data_key_previous: str = ""  # key files used before it, comma-separated (rotation)


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    try:
        return float(env.get(key, default))
    except ValueError:
        raise ConfigError(f"{key}={env[key]!r} is not a number") from None


def load_settings(env: Mapping[str, str] | None = None, *, db: str | None = None) -> Settings:
    env = os.environ if env is None else env
    fallback = env.get("SUNSHINE_CALENDAR_FALLBACK", "refuse").strip().lower()
    if fallback not in ("refuse", "weekends-only"):
        raise ConfigError("SUNSHINE_CALENDAR_FALLBACK must be refuse or weekends-only")
    red = env.get("SUNSHINE_RED_CARD_AGAINST", "promised").strip().lower()
    if red not in ("promised", "statutory"):
        raise ConfigError("SUNSHINE_RED_CARD_AGAINST must be promised or statutory")
    share = _float(env, "SUNSHINE_WARNING_SHARE", 0.8)
    years_text = env.get("SUNSHINE_PERSONAL_DATA_YEARS", "5").strip() or "5"
    if not years_text.isdigit() or not 1 <= int(years_text) <= 30:
        raise ConfigError(f"SUNSHINE_PERSONAL_DATA_YEARS={years_text!r} must be a whole number "
                          f"of years from 1 to 30 (docs/operations.md, 个人信息保存期限)")
    if not 0 < share < 1:
        raise ConfigError("SUNSHINE_WARNING_SHARE must be between 0 and 1, e.g. 0.8")
    sync = env.get("SUNSHINE_SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    if sync not in ("NORMAL", "FULL"):
        raise ConfigError("SUNSHINE_SQLITE_SYNCHRONOUS must be NORMAL or FULL")
    mode = env.get("SUNSHINE_MODE", "").strip().lower() or "production"
    if mode not in MODES:
        raise ConfigError(f"SUNSHINE_MODE={mode!r} is not one of: {', '.join(MODES)}")
    return Settings(
        database_url=db or env.get("SUNSHINE_DATABASE_URL") or DEFAULT_DB,
        timezone=env.get("SUNSHINE_TIMEZONE", "Asia/Shanghai"),
        calendar_fallback=fallback == "weekends-only",
        sqlite_synchronous=sync,
        sweep_interval_seconds=int(_float(env, "SUNSHINE_SWEEP_INTERVAL", 30)),
        rules=Rules(warning_share=share, red_card_against=red,
                    personal_data_years=int(years_text)),
        mode=mode,
        seal_key=env.get("SUNSHINE_SEAL_KEY", "").strip(),
        seal_dir=env.get("SUNSHINE_SEAL_DIR", "").strip() or "./seals",
        data_key=env.get("SUNSHINE_DATA_KEY", "").strip(),
        data_key_previous=env.get("SUNSHINE_DATA_KEY_PREVIOUS", "").strip(),
        **_delivery(env),
    )


def _delivery(env: Mapping[str, str]) -> dict[str, object]:
    """The notice-delivery settings (SMTP, print queue, SMS gateway), checked."""
    host = env.get("SUNSHINE_SMTP_HOST", "").strip()
    port_text = env.get("SUNSHINE_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else 25
    except ValueError:
        raise ConfigError(f"SUNSHINE_SMTP_PORT={port_text!r} is not a port number, e.g. 25 or "
                          f"587") from None
    if not 0 < port < 65536:
        raise ConfigError(f"SUNSHINE_SMTP_PORT={port} is not a port number (1 to 65535)")
    sender = env.get("SUNSHINE_SMTP_FROM", "").strip()
    user = env.get("SUNSHINE_SMTP_USER", "").strip()
    password = env.get("SUNSHINE_SMTP_PASSWORD", "")
    tls = env.get("SUNSHINE_SMTP_STARTTLS", "true").strip().lower()
    if tls not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"SUNSHINE_SMTP_STARTTLS={tls!r} must be true or false")
    if host and "@" not in sender:
        raise ConfigError("SUNSHINE_SMTP_FROM must be the sender's e-mail address (e.g. "
                          "notices@county.gov.cn) when SUNSHINE_SMTP_HOST is set")
    if user and not password:
        raise ConfigError("SUNSHINE_SMTP_USER is set but SUNSHINE_SMTP_PASSWORD is empty")
    print_dir = env.get("SUNSHINE_PRINT_DIR", "").strip() or "./notices"
    gateway = env.get("SUNSHINE_SMS_GATEWAY", "").strip()
    if gateway not in ("", "log") and ":" not in gateway:
        raise ConfigError(f"SUNSHINE_SMS_GATEWAY={gateway!r} must be log or "
                          f"package.module:factory")
    sms_log = env.get("SUNSHINE_SMS_LOG", "").strip() or os.path.join(print_dir, "sms.log")
    return {"smtp_host": host, "smtp_port": port, "smtp_from": sender, "smtp_user": user,
            "smtp_password": password, "smtp_starttls": tls in ("true", "1", "yes"),
            "print_dir": print_dir, "sms_gateway": gateway, "sms_log": sms_log}
