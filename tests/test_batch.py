"""``ipsreport batch``: the table, isolation on a reused kernel, incremental rebuilds,
failing rows, the folder lock and interruption, with real kernels, Pandoc and Typst.

The tables are small (two to five rows) so that the file stays well under a minute.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from filelock import FileLock

from ipsreport.batch import TableError, read_table, run_batch
from ipsreport.batch._index import index_html
from ipsreport.batch._progress import FAILED, RENDERED, REUSED, Progress
from ipsreport.batch._worker import _Worker, start_kernel, warm_imports, warm_up_tools
from ipsreport.cli import main
from ipsreport.kernels.forkserver import ForkServer
from ipsreport.kernels.provisioner import ForkedKernelProcess
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import Kernel, Manifest, execute, prepare, read_brief
from ipsreport.render._pandoc import PandocServer
from tests.test_briefs import html_text

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
GUIDE = PROJECT_ROOT / "reports" / "guide.qmd"
KOMMUNER = PROJECT_ROOT / "data" / "kommuner.csv"
CLI = [sys.executable, "-c", "from ipsreport.cli import main; main()"]
GUIDE_PARAMETERS = ("kommunekode", "deltagere_pr_aar", "pris_kommune", "pris_region", "pris_stat")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_table(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _statuses(result: Any) -> dict[str, str]:
    return {outcome.row.key: outcome.status for outcome in result.outcomes}


# -- the table ------------------------------------------------------------------------------


def test_the_municipality_table_gives_one_named_row_per_municipality() -> None:
    table = read_table(KOMMUNER, GUIDE_PARAMETERS)
    assert len(table.rows) == 98
    assert table.key_column == "kommunekode"
    # only kommunekode is a parameter of the guide; the override columns are data the
    # guide reads itself, navn and region name and group the outputs
    assert table.parameter_columns == ("kommunekode",)
    by_key = {row.key: row for row in table.rows}
    assert by_key["461"].stem == "461-odense"
    assert by_key["101"].stem == "101-koebenhavn"
    assert by_key["169"].stem == "169-hoeje-taastrup"
    assert by_key["461"].group == "Region Syddanmark"
    assert by_key["461"].params == {"kommunekode": "461"}
    assert by_key["461"].line == 1 + 1 + list(by_key).index("461")
    assert len({row.stem for row in table.rows}) == 98


def test_only_picks_rows_by_key_name_or_file_name() -> None:
    table = read_table(KOMMUNER, GUIDE_PARAMETERS)
    assert [row.key for row in table.select(["101,461"])] == ["101", "461"]
    assert [row.key for row in table.select(["Odense", "101-koebenhavn"])] == ["101", "461"]
    assert [row.key for row in table.select(["høje-taastrup"])] == ["169"]
    with pytest.raises(TableError, match=r"no row of .*kommuner.csv has kommunekode or navn '999'"):
        table.select(["461", "999"])


def test_empty_cells_are_not_given_and_names_never_collide(tmp_path: Path) -> None:
    table = read_table(
        _write_table(tmp_path / "t.csv", "kode,deltagere_pr_aar,x\nA 1,,\na-1,40,\nindex,,\n"),
        ("kode", "deltagere_pr_aar"),
    )
    first, second, _ = table.rows
    assert first.params == {"kode": "A 1"}
    assert second.params == {"kode": "a-1", "deltagere_pr_aar": "40"}
    stems = [row.stem for row in table.rows]
    assert len(set(stems)) == 3
    assert stems[0].startswith("a-1-") and stems[1].startswith("a-1-")
    assert stems[2] != "index"  # index.html is the batch's own


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kode,navn\n1,En\n1,Igen\n", "line 3: kode '1' already on line 2"),
        ("kode,navn\n1,En\n2,To,Tre\n", "line 3: 3 cells but the header has 2"),
        ("kode,navn\n,Ingen\n", "line 2: the first column (kode) is empty"),
        ("navn,region\nEn,A\n", "line 1: no column names a parameter of the brief"),
        ("", "the table is empty"),
    ],
)
def test_a_table_that_cannot_be_used_names_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write_table(tmp_path / "t.csv", text)
    with pytest.raises(TableError) as raised:
        read_table(path, ("kode",))
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_an_unreadable_table_is_exit_status_2_before_anything_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["batch", str(FIXTURES / "rows.qmd"), "--table", str(tmp_path / "missing.csv"),
         "--output-dir", str(out)],
    )
    assert result.exit_code == 2
    assert "missing.csv: table not found" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


# -- the index and the manifest -------------------------------------------------------------


def test_index_is_danish_grouped_and_escapes_everything(tmp_path: Path) -> None:
    path = _write_table(
        tmp_path / "t.csv",
        'kode,navn,region\n1,<script>alert(1)</script>,"Region ""A"" & B"\n2,Ærø,Region C\n',
    )
    rows = read_table(path, ("kode",)).rows
    page = index_html(
        title="Guide <b>", source="reports/x.qmd", table="t.csv", rows=rows,
        entries={f"{rows[0].stem}.pdf": {}}, formats=("pdf", "html"),
    )
    assert '<html lang="da">' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>Guide &lt;b&gt;</h1>" in page
    # Jinja2's autoescape writes a quote as &#34; (html.escape would write &quot;)
    assert '<h2 id="gruppe-1">Region &#34;A&#34; &amp; B</h2>' in page
    assert html.unescape("Region &#34;A&#34; &amp; B") == 'Region "A" & B'
    assert page.index("Region &#34;A&#34;") < page.index('<h2 id="gruppe-2">Region C</h2>')
    assert f'<a href="{rows[0].stem}.pdf">PDF</a>' in page
    assert ('<tr><th scope="row">2 Ærø</th><td><span class="mangler">ikke dannet</span></td>'
            '</tr>') in page


def test_an_output_is_current_only_with_its_digest_and_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"pdf")
    manifest = Manifest(tmp_path)
    manifest.update({"a.pdf": {"path": "a.pdf", "sha256": _sha256(tmp_path / "a.pdf"),
                               "build_sha256": "d1"}})
    assert Manifest(tmp_path).is_current("a.pdf", "d1")
    assert not Manifest(tmp_path).is_current("a.pdf", "d2")  # inputs changed
    (tmp_path / "a.pdf").write_bytes(b"changed by hand")
    assert not Manifest(tmp_path).is_current("a.pdf", "d1")  # file changed
    (tmp_path / "a.pdf").unlink()
    assert not Manifest(tmp_path).is_current("a.pdf", "d1")  # file gone
    manifest = Manifest(tmp_path)
    manifest.forget_missing()
    assert manifest.dirty
    manifest.update()
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8")) == {"outputs": {}}


def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log() -> None:
    log = io.StringIO()
    lines = Progress(2, title="guide", stream=log, bar=False)
    lines.row("461 Odense", RENDERED, "0.8 s")
    lines.row("101 København", FAILED, "kommuner.csv: line 2 (101 København): boom")
    assert log.getvalue().splitlines() == [
        "[1/2] 461 Odense: rendered (0.8 s)",
        "[2/2] 101 København: failed: kommuner.csv: line 2 (101 København): boom",
    ]
    assert lines.summary(3.21) == "1 rendered, 0 reused from cache, 1 failed in 3.2 s"

    terminal = io.StringIO()
    bar = Progress(2, title="guide", stream=terminal, bar=True)
    bar.row("461 Odense", REUSED)
    bar.row("101 København", RENDERED, "0.8 s")
    bar.close()
    assert "2/2" in terminal.getvalue() and "101 København" in terminal.getvalue()


# -- isolation on a reused kernel -----------------------------------------------------------


def _probe_state(kernel: Kernel) -> dict[str, Any]:
    executed = execute(prepare(read_brief(FIXTURES / "probe.qmd")), kernel=kernel)
    cells = [cell for cell in executed.notebook.cells if cell.cell_type == "code"]
    state: dict[str, Any] = json.loads(cells[0].outputs[0]["text"])
    state["images"] = sum("image/png" in output.get("data", {}) for output in cells[1].outputs)
    return state


@pytest.mark.render
@pytest.mark.parametrize("forked", [False, True], ids=["started", "forked"])
def test_a_brief_on_a_reused_kernel_sees_what_a_fresh_kernel_shows(forked: bool) -> None:
    with Kernel() as fresh:
        expected = _probe_state(fresh)
    assert expected["leftover"] is None
    assert expected["lines.linewidth"] == 1.5
    assert expected["figure.facecolor"] == "white"
    assert expected["interactive"] is True
    assert expected["images"] == 1

    # the batch's warm kernel, started or forked from the fork server (which imported
    # pandas and matplotlib before the kernel existed): neither its warm-up nor the brief
    # before may show, and pyplot figures must still appear
    brief = read_brief(FIXTURES / "probe.qmd")
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(ForkServer.start()) if forked else None
        if server is not None:
            server.preload(warm_imports(brief))
            server.serve()
        kernel = start_kernel(60, brief, fork_server=server.address if server else None)
        stack.callback(kernel.close)
        assert isinstance(kernel.client.km.provisioner.process, ForkedKernelProcess) == forked
        execute(prepare(read_brief(FIXTURES / "dirty.qmd")), kernel=kernel)
        after_dirty = _probe_state(kernel)
    assert after_dirty == expected  # every field, including a hash of all rcParams


@pytest.mark.render
@pytest.mark.parametrize("brief", sorted((PROJECT_ROOT / "reports").glob("*.qmd")),
                         ids=lambda path: path.stem)
def test_a_worker_warms_its_tools_up_on_every_brief_and_leaves_nothing(
    brief: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker does this while its kernel starts, and ignores a failure (the first
    # document would report it): so it is tested here, on every brief's templates.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with PandocServer() as pandoc:
        worker = _Worker(brief=read_brief(brief), output_dir=tmp_path / "out", timeout=60,
                         pandoc=pandoc)
        warm_up_tools(worker)
        assert pandoc.pid is not None  # still serving, for the first document
    assert list(tmp_path.iterdir()) == []


# -- the guide: render, reuse, rebuild what changed -----------------------------------------


@pytest.fixture
def guide_table(tmp_path: Path) -> Path:
    return _write_table(
        tmp_path / "kommuner.csv",
        "kommunekode,navn,region\n461,Odense,Region Syddanmark\n"
        "101,København,Region Hovedstaden\n",
    )


@pytest.mark.render
def test_the_guide_renders_once_and_rebuilds_only_what_changed(
    tmp_path: Path,
    guide_table: Path,
    data_copy: Path,
    changed_data: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IPSREPORT_DATA_DIR", str(data_copy))
    out = tmp_path / "out"
    server = ForkServer.start()  # as the command line gives it
    first = run_batch(GUIDE, guide_table, output_dir=out, jobs=2, progress=False,
                      fork_server=server)
    assert _statuses(first) == {"461": "rendered", "101": "rendered"}
    # the guide's companion, the national overview, is rendered once beside the rows
    assert [(o.row.key, o.status) for o in first.companions] == [("overview", "rendered")]
    assert server._process.poll() is not None  # stopped, and its kernels with it, when done
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["101-koebenhavn.html", "101-koebenhavn.pdf", "461-odense.html",
                     "461-odense.pdf", "index.html", "manifest.json", "overview.html",
                     "overview.pdf"]
    assert "Odense (kommunekode 461)" in (out / "461-odense.html").read_text(encoding="utf-8")
    assert (out / "461-odense.pdf").read_bytes().startswith(b"%PDF")
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    entry = entries["461-odense.pdf"]
    assert entry["params"] == {"kommunekode": 461}
    assert entry["sha256"] == _sha256(out / "461-odense.pdf")
    assert entry["row"] == {"line": 2, "key": "461", "name": "Odense",
                            "group": "Region Syddanmark"}
    from ipsreport import provenance
    values = {**read_brief(GUIDE).defaults, "kommunekode": 461}  # every parameter's value
    assert entry["build_sha256"] == provenance.of(GUIDE, values).digest()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="461-odense.pdf">PDF</a>' in index
    assert '<h2 id="gruppe-1">Region Syddanmark</h2>' in index
    assert '<li>IPS i landets kommuner: <a href="overview.pdf">PDF</a>' in index
    assert entries["overview.pdf"]["companion_of"] == "reports/guide.qmd"
    # each guide declared its key figures, and the index shows them beside its links; they
    # are the figures the overview shows for that municipality (one computation)
    figures = entries["461-odense.pdf"]["key_figures"]
    assert [f["label"] for f in figures] == ["Nye deltagere pr. år", "IPS-konsulenter",
                                             "Nutidsværdi"]
    overview = (out / "overview.html").read_text(encoding="utf-8")
    odense_row = re.search(r"<tr[^>]*>\s*<td[^>]*>Odense</td>(.*?)</tr>", overview, re.S)
    assert odense_row is not None
    overview_cells = [" ".join(re.sub(r"<[^>]+>", "", cell).split())
                      for cell in re.findall(r"<td[^>]*>(.*?)</td>", odense_row.group(1), re.S)]
    row = re.search(r'<th scope="row">461 Odense</th>(.*?)</tr>', index)
    assert row is not None
    index_cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))[:3]
    assert index_cells == [f["text"] for f in figures]
    # the overview's columns: folketal, participants, consultants, cost, NPV, own team
    assert [overview_cells[1], overview_cells[2], overview_cells[4]] == index_cells
    assert figures[0]["text"] in (out / "461-odense.html").read_text(encoding="utf-8")
    before = {name: (out / name).stat().st_mtime_ns for name in entries}

    # nothing changed: nothing rendered, no file touched
    again = run_batch(GUIDE, guide_table, output_dir=out, progress=False)
    assert _statuses(again) == {"461": "reused from cache", "101": "reused from cache"}
    assert [o.status for o in again.companions] == ["reused from cache"]
    assert {name: (out / name).stat().st_mtime_ns for name in entries} == before

    # one row changed: only that row
    _write_table(guide_table, guide_table.read_text(encoding="utf-8").replace(
        "kommunekode,navn,region", "kommunekode,navn,region,deltagere_pr_aar"
    ).replace("Region Syddanmark\n", "Region Syddanmark,40\n"))
    one = run_batch(GUIDE, guide_table, output_dir=out, formats=("html",), progress=False)
    assert _statuses(one) == {"461": "rendered", "101": "reused from cache"}
    assert (out / "101-koebenhavn.html").stat().st_mtime_ns == before["101-koebenhavn.html"]
    # the row's own participants reach its guide, which says whose figure it is, and the index
    page = html.unescape((out / "461-odense.html").read_text(encoding="utf-8"))
    assert "Nye deltagere pr. år (kommunens eget tal (parameter))" in " ".join(page.split())
    index = (out / "index.html").read_text(encoding="utf-8")
    row = re.search(r'<th scope="row">461 Odense</th><td class="tal">([^<]*)</td>', index)
    assert row is not None and row.group(1) == "40"

    # a data file changed: every row
    changed_data({"star2021.with_ips": 77})
    old = _sha256(out / "101-koebenhavn.html")
    everything = run_batch(GUIDE, guide_table, output_dir=out, formats=("html",), progress=False)
    assert _statuses(everything) == {"461": "rendered", "101": "rendered"}
    assert _sha256(out / "101-koebenhavn.html") != old
    assert "77 af" in html_text(out / "101-koebenhavn.html")



# -- failures, the lock, interruption -------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as a user runs it. (The command forks its
    workers from its own process, so it must not run inside the test process.)"""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, cwd=cwd,
                          timeout=120)


@pytest.mark.render
def test_failing_rows_are_reported_and_the_others_still_render(tmp_path: Path) -> None:
    out = tmp_path / "out"
    table = FIXTURES / "rows.csv"
    # one worker: row 2 runs on the kernel that replaced the one row 666 killed
    result = _cli("batch", str(FIXTURES / "rows.qmd"), "--table", str(table),
                  "--output-dir", str(out), "--to", "html", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    stderr = result.stderr
    assert "[5/5]" in stderr  # plain progress lines when stderr is not a terminal
    assert "1 En: rendered" in stderr and "2 To: rendered" in stderr
    assert "2 rendered, 0 reused from cache, 3 failed in" in stderr
    assert "ipsreport: 3 of 5 rows failed:" in stderr
    assert f"{table}: line 3 (13 Tretten): tests/fixtures/batch/rows.qmd: cell 'row' " in stderr
    assert "raised ZeroDivisionError: kode 13 deler med nul\n" in stderr  # the kernel lives on
    assert f"{table}: line 4 (666 Død): " in stderr
    assert "the kernel died (the worker's kernel was restarted)" in stderr
    assert f"{table}: line 6 (abc Forkert): " in stderr and "'abc'" in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.glob("*.html")) == ["1-en.html", "2-to.html", "index.html"]
    assert "Række nummer 2." in (out / "2-to.html").read_text(encoding="utf-8")
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert sorted(entries) == ["1-en.html", "2-to.html"]
    assert result.stdout.strip() == str(out / "index.html")


@pytest.mark.render
def test_a_second_batch_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with FileLock(str(out / ".batch.lock")):
        result = CliRunner().invoke(
            main,
            ["batch", str(FIXTURES / "rows.qmd"), "--table", str(FIXTURES / "rows.csv"),
             "--output-dir", str(out)],
        )
    assert result.exit_code == 2
    assert "another batch is writing to this folder" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == [".batch.lock"]


@pytest.mark.render
def test_an_interrupted_batch_leaves_complete_files_and_resumes(tmp_path: Path) -> None:
    table = _write_table(
        tmp_path / "slow.csv",
        "kode,navn,pause\n" + "".join(f"{k},R{k},1.0\n" for k in (1, 2, 3, 4, 5, 6)),
    )
    out = tmp_path / "out"
    command = [*CLI, "batch", str(FIXTURES / "rows.qmd"), "--table", str(table),
               "--output-dir", str(out), "--to", "html", "--jobs", "1"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert process.stderr is not None
    lines = []
    for line in process.stderr:  # wait for the first finished row, then press Ctrl-C
        lines.append(line)
        if ": rendered" in line:
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=60)[1]
    assert process.returncode == 130, "".join(lines) + rest
    assert "interrupted" in rest

    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    done = sorted(p.name for p in out.glob("*.html") if p.name != "index.html")
    assert 0 < len(done) < 6
    assert sorted(entries) == done  # the manifest lists exactly the finished files
    for name in done:
        assert entries[name]["sha256"] == _sha256(out / name)
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))

    resumed = run_batch(FIXTURES / "rows.qmd", table, output_dir=out, formats=("html",),
                        jobs=2, progress=False)
    assert len(resumed.reused) == len(done)
    assert len(resumed.rendered) == 6 - len(done)


@pytest.mark.render
def test_rows_whose_names_slug_alike_each_get_a_file_of_their_own(tmp_path: Path) -> None:
    # "a" and "A" slug alike, and "a-ca978112" is what the first of them would have become
    # with the first digits of its key's SHA-256.
    table = _write_table(tmp_path / "t.csv", "tekst\na\nA\na-ca978112\n")
    rows = read_table(table, ("tekst",)).rows
    assert len({row.stem for row in rows}) == 3
    out = tmp_path / "out"
    result = _cli("batch", str(PROJECT_ROOT / "tests" / "fixtures" / "params" / "typed.qmd"),
                  "--table", str(table), "--output-dir", str(out), "--to", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    by_key = {entry["row"]["key"]: name for name, entry in entries.items()}
    assert sorted(by_key) == ["A", "a", "a-ca978112"]
    assert len(set(by_key.values())) == 3  # each row's entry is its own file
    for key, name in by_key.items():
        assert f"tegn lang: {key}." in (out / name).read_text(encoding="utf-8")
