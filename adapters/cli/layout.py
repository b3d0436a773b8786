"""`sunshine layout`: give a BPMN file without a diagram one, so that a modeler can open it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from adapters.cli.common import cli

# lxml and graphviz are reached inside the verb (see common.py).


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the laid-out file here (default: over FILE).")
def layout(file: str, output: str | None) -> None:
    """Lay out a BPMN file that has no diagram (bpmndi:BPMNDiagram), with graphviz dot.

    Shapes for every flow node, pool and lane, edges for every flow; the rest of the file is
    kept byte for byte. A file that already has a diagram is left as it is."""
    from adapters.bpmn_layout import lay_out
    from engine.xmlsafe import read_bpmn_file

    data, _ = read_bpmn_file(file)
    result = lay_out(data, file)
    if result.data is None:
        click.echo(f"{file} 已有流程图布局 (already has a bpmndi:BPMNDiagram): left unchanged, "
                   f"nothing written")
        return
    target = Path(output or file)
    # Written beside the target and renamed over it: never a half-written file.
    fd, tmp = tempfile.mkstemp(prefix=".layout-", suffix=".bpmn", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(result.data)
        # mkstemp makes the file private; the laid-out file keeps the original's permissions.
        os.chmod(tmp, os.stat(file).st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    click.echo(f"已排版 laid out: {result.shapes} shapes, {result.edges} edges → {target}")
