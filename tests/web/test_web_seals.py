"""审计签章 on the public site: the seals the worker writes (SUNSHINE_SEAL_DIR) are listed at
/seals for anyone, newest first, with their time, cases, records, root and key fingerprint, and
each is offered whole for auditors to archive — the very bytes on disk, which `audit verify
--against` checks. Nothing else in the folder can be fetched through it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.sealing import generate_key, load_signer, read_seal, write_seal
from engine.services import anchoring
from engine.services import cases as svc
from tests.staff import CLERK, A, person
from tests.web.conftest import FOOD, Site


def _client(site: Site, seal_dir: Path | None) -> Any:
    from fastapi.testclient import TestClient

    from adapters.web.app import create_app

    return TestClient(create_app(site.env, seal_dir=str(seal_dir) if seal_dir else None))


def test_the_seals_are_public_and_downloaded_as_written(site: Site, tmp_path: Path) -> None:
    private, public = tmp_path / "seal.pem", tmp_path / "seal.pub"
    generate_key(private, public)
    folder = tmp_path / "seals"
    svc.start_case(site.env, FOOD, person("张三"), actor=A(CLERK))
    first = write_seal(anchoring.seal(site.env, load_signer(private)), folder)
    site.clock.at += timedelta(days=1)
    svc.start_case(site.env, FOOD, person("李四"), actor=A(CLERK))
    second = write_seal(anchoring.seal(site.env, load_signer(private)), folder)
    (folder / "notes.txt").write_text("not a seal", encoding="utf-8")
    (folder / "seal-20260101T000000Z.json").write_text("{broken", encoding="utf-8")
    client = _client(site, folder)

    page = client.get("/seals")  # no sign-in
    assert page.status_code == 200
    html = page.text
    newest, older = read_seal(second), read_seal(first)
    assert newest.root in html and older.root in html and newest.key_id in html
    assert html.index(newest.root) < html.index(older.root)  # newest first
    assert "无法读取" in html and "seal-20260101T000000Z.json" in html  # named, not hidden
    assert "张三" not in html and "李四" not in html

    got = client.get(f"/seals/{second.name}")
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
    assert got.content == second.read_bytes()
    assert client.get("/seals/latest.json").content == second.read_bytes()
    for name in ("notes.txt", "..%2Fseal.pem", "seal-20990101T000000Z.json", "seal.pem"):
        assert client.get(f"/seals/{name}").status_code == 404, name


def test_an_installation_without_seals_says_so(site: Site) -> None:
    client = _client(site, None)
    assert "尚未配置审计签章" in client.get("/seals").text
    assert client.get("/seals/latest.json").status_code == 404

