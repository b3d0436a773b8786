"""The benchmarks are not run by the test suite (they take minutes and measure, not check), but
they must at least stay valid Python for this interpreter: a syntax error in bench/ is otherwise
found only by whoever next runs `python -m bench`."""

from __future__ import annotations

import py_compile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_every_benchmark_file_compiles(path: Path, tmp_path: Path) -> None:
    py_compile.compile(str(path), cfile=str(tmp_path / "x.pyc"), doraise=True)
