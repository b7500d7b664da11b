"""How the browser tests look at a page as some users would: axe-core's findings (vendored, no
network) and a deuteranopia simulation for screenshots."""

from __future__ import annotations

AXE = "/static/vendor/axe-core/axe.min.js"  # served by the app itself: the CSP allows only our own scripts
# Machado et al. (2009), deuteranopia at severity 1.0, as an SVG colour matrix.
DEUTERANOPIA = ("0.367 0.861 -0.228 0 0  0.280 0.673 0.047 0 0  -0.012 0.043 0.969 0 0  0 0 0 1 0")


def axe_violations(page, base_url: str, *, impacts=("serious", "critical")) -> list[dict]:
    """Run the vendored axe-core on the page; the violations of the given impacts."""
    page.add_script_tag(url=base_url + AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


def simulate_deuteranopia(page, on: bool = True) -> None:
    """Show the page as someone without green cones sees it (``on=False``: as it is again)."""
    if not on:
        page.evaluate("document.documentElement.style.filter = ''")
        return
    page.evaluate("""m => {
        if (!document.getElementById('deuteranopia')) {
          document.body.insertAdjacentHTML('beforeend', `<svg width="0" height="0" style="position:absolute">
            <filter id="deuteranopia"><feColorMatrix type="matrix" values="${m}"/></filter></svg>`);
        }
        document.documentElement.style.filter = 'url(#deuteranopia)';
    }""", DEUTERANOPIA)
