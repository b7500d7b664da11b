"""``python -m ops.icons``: the Bootstrap Icons font cut down to the icons Accord uses.

The vendored ``bootstrap-icons.min.css`` (87 KB) and its font (134 KB of WOFF2, ~2,000 glyphs)
stay as the source; pages load ``accord-icons.css`` and ``fonts/accord-icons.woff2`` written from
them here, with only the icons the code names. An icon counts as used when

* ``bi-<name>`` appears in a template, a Python module or our own CSS/JS,
* a ``class="…"`` attribute of a template that builds the name (``bi-{% if … %}bell{% else %}…``)
  holds ``<name>`` as a word, or
* a Python string literal is exactly ``<name>`` (navigation entries, ``EVENT_ICONS``): a few
  common words (``"check"``, ``"list"``) bring in an icon no page shows, a few hundred bytes.

``tests/governance/test_icons.py`` fails, naming them, when code uses an icon the subset lacks:
then run this again (it needs ``pip install fonttools brotli``; the result is committed).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor" / "bootstrap-icons"
FULL_CSS = VENDOR / "bootstrap-icons.min.css"
FULL_FONT = VENDOR / "fonts" / "bootstrap-icons.woff2"
SUBSET_CSS = VENDOR / "accord-icons.css"
SUBSET_FONT = VENDOR / "fonts" / "accord-icons.woff2"

_RULE = re.compile(r'\.bi-([a-z0-9-]+)::before\{content:"\\([0-9a-f]+)"\}')
_PREFIXED = re.compile(r"\bbi-([a-z0-9]+(?:-[a-z0-9]+)*)")
_CLASS_ATTR = re.compile(r'class="([^"]*\bbi\b[^"]*)"')
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PY_LITERAL = re.compile(r"""["']([a-z0-9]+(?:-[a-z0-9]+)*)["']""")


def all_icons() -> dict[str, int]:
    """Every icon of the vendored set: name → code point."""
    return {name: int(code, 16) for name, code in _RULE.findall(FULL_CSS.read_text())}


def _sources():
    yield from (ROOT / "templates").rglob("*.html")
    for app in (d for d in ROOT.iterdir() if (d / "apps.py").is_file()):  # every Django app of ours
        yield from app.rglob("*.html")
        yield from (p for p in app.rglob("*.py") if "migrations" not in p.parts)
    for path in (ROOT / "static").rglob("*"):
        if path.suffix in (".js", ".css") and "vendor" not in path.parts:
            yield path


def used_icons(known: dict[str, int] | None = None) -> set[str]:
    """The icon names the code uses (see the module doc), limited to names the set has."""
    known = known if known is not None else all_icons()
    found: set[str] = set()
    for path in _sources():
        text = path.read_text(errors="replace")
        found.update(_PREFIXED.findall(text))
        if path.suffix == ".html":
            for attr in _CLASS_ATTR.findall(text):
                found.update(_WORD.findall(attr))
        elif path.suffix == ".py":
            found.update(_PY_LITERAL.findall(text))
    return {name for name in found if name in known}


def subset_css(names: set[str], known: dict[str, int]) -> str:
    full = FULL_CSS.read_text()
    header = full[: full.index("*/") + 2]
    base = re.search(r"\.bi::before,[^{]+\{[^}]+\}", full).group(0)
    rules = "".join(f'.bi-{n}::before{{content:"\\{known[n]:x}"}}' for n in sorted(names))
    return (f"{header}\n/* Subset written by `python -m ops.icons`: {len(names)} icons. Do not edit. */\n"
            f'@font-face{{font-display:block;font-family:bootstrap-icons;src:url("fonts/accord-icons.woff2") '
            f'format("woff2")}}{base}{rules}\n')


def write() -> tuple[int, int, int]:
    from fontTools import subset  # noqa: PLC0415 — optional dependency (extra `icons`), only this command needs it

    known = all_icons()
    names = used_icons(known)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(FULL_FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[known[n] for n in names])
    subsetter.subset(font)
    subset.save_font(font, str(SUBSET_FONT), options)
    SUBSET_CSS.write_text(subset_css(names, known))
    return len(names), SUBSET_FONT.stat().st_size, SUBSET_CSS.stat().st_size


if __name__ == "__main__":
    count, font_bytes, css_bytes = write()
    print(f"{count} icons: {SUBSET_FONT.relative_to(ROOT)} {font_bytes:,} bytes, "
          f"{SUBSET_CSS.relative_to(ROOT)} {css_bytes:,} bytes", file=sys.stderr)
