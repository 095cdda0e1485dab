"""The Pandoc server (one `pandoc lua` process for many documents): it writes the very
bytes the `pandoc` command line writes, keeps Pandoc's warnings, survives a document that
fails and is started again when its process dies. Real Pandoc throughout."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from ipsreport.errors import RenderError
from ipsreport.paths import templates_dir
from ipsreport.presentation.origins import JSON_ID
from ipsreport.render._pandoc import PandocOutput, PandocServer
from ipsreport.render._tools import FILTERS, pandoc_path

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

# A table and a figure, each cited: the cross-reference filter numbers both.
BODY = """\
Se @tbl-tal og @fig-prik.

| Hvad | Antal |
|:-----|------:|
| Et   |     1 |

: Nogle tal {#tbl-tal}

![En prik](media/prik.png){#fig-prik fig-alt="En enkelt hvid prik"}
"""
# A 1x1 white PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)
METADATA = {"title": "Prøve", "lang": "da"}
VARIABLES = {"ipsreport-meta": [{"name": "ipsreport-version", "content": "0"}]}


@pytest.fixture()
def build(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "prik.png").write_bytes(PIXEL)
    (tmp_path / "body.md").write_text(BODY, encoding="utf-8")
    return tmp_path


def _output(build: Path, to: str, template: str, *, embed: bool = False) -> PandocOutput:
    return PandocOutput(
        name=to, to=to, template=str(templates_dir() / template),
        metadata=yaml.safe_dump(METADATA, allow_unicode=True), variables=VARIABLES,
        embed_images=embed, output=str(build / f"server.{to}"),
    )


def _command_line(build: Path, to: str, template: str) -> bytes:
    (build / "meta.yml").write_text(yaml.safe_dump(METADATA, allow_unicode=True),
                                    encoding="utf-8")
    (build / "variables.yml").write_text(yaml.safe_dump({"variables": VARIABLES}),
                                         encoding="utf-8")
    subprocess.run(
        [pandoc_path(), "body.md", "--from", "markdown", "--to", to,
         "--template", str(templates_dir() / template), "--metadata-file", "meta.yml",
         "--defaults", str(build / "variables.yml"),
         *(part for path in FILTERS for part in ("--lua-filter", str(path))),
         "--output", f"cli.{to}"],
        cwd=build, check=True, capture_output=True,
    )
    return (build / f"cli.{to}").read_bytes()


def test_the_server_writes_what_the_pandoc_command_line_writes(build: Path) -> None:
    outputs = [_output(build, "html5", "html.html"), _output(build, "typst", "typst-main.typ")]
    with PandocServer() as pandoc:
        assert pandoc.convert(build / "body.md", outputs, what="prøve") == []
    html = (build / "server.html5").read_bytes()
    typst = (build / "server.typst").read_bytes()
    assert html == _command_line(build, "html5", "html.html")
    assert typst == _command_line(build, "typst", "typst-main.typ")
    # the filter ran, on each format
    assert 'href="#tbl-tal">Tabel\u00a01</a>' in html.decode()
    assert "Figur~1: En prik" in typst.decode()  # Typst's no-break space


# Numbers linked to their entries, whose accounts the appendix's JSON carries (as
# origins.py writes it), one link with a title of its own, and one to an entry that is missing.
LINKED = f"""\
Deltagere: [243](#tal-1), igen [243](#tal-1 "Egen titel"), og [9](#tal-9) uden indgang.

```{{=html}}
<section id="tal-og-kilder"><p id="tal-1">243: 59,9 pct.</p>
<script type="application/json" id="{JSON_ID}">{{"numbers": [{{"id": "tal-1",
"hover": "Kilde: <Christensen> & co."}}]}}</script></section>
```
"""


def test_a_numbers_link_gets_its_account_as_title_and_a_link_to_nowhere_becomes_text(
    build: Path,
) -> None:
    (build / "body.md").write_text(LINKED, encoding="utf-8")
    outputs = [_output(build, "html5", "html.html"), _output(build, "typst", "typst-main.typ")]
    with PandocServer() as pandoc:
        assert pandoc.convert(build / "body.md", outputs, what="prøve") == []
    html = (build / "server.html5").read_text(encoding="utf-8")
    typst = (build / "server.typst").read_text(encoding="utf-8")
    # the filter that runs once for all formats gives what it gives when run for each
    assert html == _command_line(build, "html5", "html.html").decode()
    assert typst == _command_line(build, "typst", "typst-main.typ").decode()
    words = " ".join(html.split())  # Pandoc wraps lines
    assert ('<a href="#tal-1" title="Kilde: &lt;Christensen&gt; &amp; co.">243</a>'
            in words)
    assert '<a href="#tal-1" title="Egen titel">243</a>' in words
    assert "og 9 uden indgang" in words
    assert "tal-9" not in html and "tal-9" not in typst
    assert typst.count("#link(<tal-1>)") == 2  # Typst keeps the links, without titles
    assert "Christensen" not in typst


def test_html_images_become_data_uris(build: Path) -> None:
    with PandocServer() as pandoc:
        pandoc.convert(build / "body.md", [_output(build, "html5", "html.html", embed=True)],
                       what="prøve")
    html = (build / "server.html5").read_text(encoding="utf-8")
    assert f'src="data:image/png;base64,{base64.b64encode(PIXEL).decode()}"' in html
    assert 'alt="En enkelt hvid prik"' in html
    assert "media/prik.png" not in html


def test_warnings_are_kept_and_a_failing_document_does_not_stop_the_server(
    build: Path,
) -> None:
    (build / "cites.md").write_text("Se @fig-findes-ikke.\n", encoding="utf-8")
    (build / "broken.md").write_text("---\ntitel: [ikke lukket\n---\n", encoding="utf-8")
    outputs = [_output(build, "typst", "typst-main.typ")]
    with PandocServer() as pandoc:
        warnings = pandoc.convert(build / "cites.md", outputs, what="prøve")
        assert len(warnings) == 1
        assert "ipsreport crossref: unknown cross-reference @fig-findes-ikke" in warnings[0]
        pid = pandoc.pid
        with pytest.raises(RenderError, match=r"^prøve: pandoc failed: Error parsing YAML"):
            pandoc.convert(build / "broken.md", outputs, what="prøve")
        assert pandoc.convert(build / "body.md", outputs, what="prøve") == []
        assert pandoc.pid == pid


def test_an_error_in_one_format_names_the_format(build: Path) -> None:
    broken = _output(build, "typst", "typst-main.typ")
    broken = PandocOutput(**{**broken.__dict__, "name": "pdf", "metadata": "title: [open"})
    with PandocServer() as pandoc, pytest.raises(
        RenderError, match=r"^prøve \(pdf\): pandoc failed: .*YAML"
    ):
        pandoc.convert(build / "body.md", [_output(build, "html5", "html.html"), broken],
                       what="prøve")


def test_a_server_that_dies_while_converting_says_so_and_is_started_again(
    build: Path,
) -> None:
    # Long enough to read (about a second) that the process is killed while it does.
    (build / "long.md").write_text("".join(f"Afsnit {n}.\n\n" for n in range(60_000)),
                                   encoding="utf-8")
    outputs = [_output(build, "typst", "typst-main.typ")]
    with PandocServer() as pandoc:
        pandoc.start()
        first = pandoc.pid
        assert first is not None
        killer = threading.Timer(0.3, os.kill, (first, signal.SIGKILL))
        killer.start()
        with pytest.raises(RenderError, match=r"^prøve: pandoc stopped: exit status -9$"):
            pandoc.convert(build / "long.md", outputs, what="prøve")
        killer.join()
        assert pandoc.pid is None
        assert pandoc.convert(build / "body.md", outputs, what="prøve") == []
        assert pandoc.pid not in (None, first)
    assert pandoc.pid is None
