"""Pages load a subset of Bootstrap Icons (``python -m ops.icons``): every icon the code names must
be in it, or it renders as an empty box."""

from ops import icons


def test_every_icon_the_code_uses_is_in_the_subset():
    subset = icons.SUBSET_CSS.read_text()
    missing = sorted(n for n in icons.used_icons() if f".bi-{n}::before" not in subset)
    assert not missing, f"icons missing from the subset, run `python -m ops.icons`: {missing}"
    assert 'url("fonts/accord-icons.woff2")' in subset and icons.SUBSET_FONT.stat().st_size < 20_000


def test_the_scanner_finds_icons_named_in_templates_python_and_built_class_attributes():
    used = icons.used_icons()
    assert {"bell", "bell-fill"} <= used  # bi-{% if n.read_at %}bell{% else %}bell-fill{% endif %}
    assert "speedometer2" in used  # a navigation entry (a Python literal)
    assert "arrow-down-short" in used  # bi-arrow-down-short in the heat map's Python
    assert "journal-plus" in used  # EVENT_ICONS
    assert len(used) < 200 < len(icons.all_icons())


def test_pages_link_the_subset_not_the_full_set():
    base = (icons.ROOT / "templates" / "base.html").read_text()
    assert "vendor/bootstrap-icons/accord-icons.css" in base and "bootstrap-icons.min.css" not in base
