"""Settings, read once from the environment (and the CLI's --db) into a typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

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
    if not 0 < share < 1:
        raise ConfigError("SUNSHINE_WARNING_SHARE must be between 0 and 1, e.g. 0.8")
    sync = env.get("SUNSHINE_SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    if sync not in ("NORMAL", "FULL"):
        raise ConfigError("SUNSHINE_SQLITE_SYNCHRONOUS must be NORMAL or FULL")
    mode = env.get("SUNSHINE_MODE", "production").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"SUNSHINE_MODE={mode!r} is not one of: {', '.join(MODES)}")
    return Settings(
        database_url=db or env.get("SUNSHINE_DATABASE_URL") or DEFAULT_DB,
        timezone=env.get("SUNSHINE_TIMEZONE", "Asia/Shanghai"),
        calendar_fallback=fallback == "weekends-only",
        sqlite_synchronous=sync,
        sweep_interval_seconds=int(_float(env, "SUNSHINE_SWEEP_INTERVAL", 30)),
        rules=Rules(warning_share=share, red_card_against=red),
        mode=mode,
    )
