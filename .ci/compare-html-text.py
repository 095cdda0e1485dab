"""Compare each brief's HTML text under Quarto with the built-in renderer's.

    python3 .ci/compare-html-text.py QUARTO_DIR BUILTIN_DIR

QUARTO_DIR holds ``quarto render --to html``'s pages (``reports/<brief>.html`` below it, or
``<brief>.html``), BUILTIN_DIR ``ipsreport render --to html --engine builtin``'s. For every
page of BUILTIN_DIR, the text a reader sees (the body without scripts and styles), with
whitespace normalised (any run of spaces, no-break spaces and line breaks as one space), must
be the same in both. Prints one line per brief and, for a difference, where the two part;
exits 1 if any brief differs or is missing under Quarto, 0 when all agree.

The CI workflow's Quarto job runs it (.github/workflows/rebuild.yml); it uses nothing but the
standard library, so it runs before the package is installed, too.
"""

from __future__ import annotations

import html.parser
import sys
from pathlib import Path

_SKIPPED = {"script", "style", "head", "template", "noscript"}
_CONTEXT = 80


class _Text(html.parser.HTMLParser):
    """The text inside <body>, outside the elements a reader does not see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def page_text(path: Path) -> str:
    """The page's visible text, whitespace normalised."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return " ".join(" ".join(parser.parts).replace("\u00a0", " ").split())


def first_difference(a: str, b: str) -> str:
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                 min(len(a), len(b)))
    start = max(0, index - _CONTEXT)
    return (f"at character {index}: quarto …{a[start:index + _CONTEXT]!r}… / built-in "
            f"…{b[start:index + _CONTEXT]!r}…")


def quarto_page(folder: Path, name: str) -> Path:
    for candidate in (folder / "reports" / name, folder / name):
        if candidate.is_file():
            return candidate
    return folder / "reports" / name


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    quarto, builtin = Path(argv[0]), Path(argv[1])
    pages = sorted(builtin.glob("*.html"))
    if not pages:
        print(f"no HTML pages in {builtin}", file=sys.stderr)
        return 1
    failed = 0
    for page in pages:
        other = quarto_page(quarto, page.name)
        if not other.is_file():
            print(f"{page.stem}: no page from Quarto ({other})")
            failed += 1
            continue
        ours, theirs = page_text(page), page_text(other)
        if ours == theirs:
            print(f"{page.stem}: the same text ({len(ours)} characters)")
        else:
            print(f"{page.stem}: differs {first_difference(theirs, ours)}")
            failed += 1
    print(f"{len(pages) - failed} of {len(pages)} briefs read the same under both engines")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
