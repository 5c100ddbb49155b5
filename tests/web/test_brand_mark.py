"""The brand's mark is one drawing in three places: static/favicon.svg (the tab's icon), app.css (the login
pages' mark, inlined: a stylesheet cannot name the file by its version) and layout.js (the portal header's
mark, drawn in the page: no SVG document of its own to make on every page). They must stay the same."""

from __future__ import annotations

import re
from urllib.parse import unquote

from web.settings import REPO_ROOT


def test_the_three_copies_of_the_mark_agree():
    icon = (REPO_ROOT / "static" / "favicon.svg").read_text().strip()
    css = (REPO_ROOT / "static" / "css" / "app.css").read_text()
    inlined = unquote(re.search(r'--brand-image: url\("data:image/svg\+xml,([^"]+)"\)', css).group(1))
    assert inlined == icon.replace('"', "'")
    drawn = (REPO_ROOT / "static" / "js" / "layout.js").read_text()
    path = re.search(r'<path fill="#fff" d="([^"]+)"', icon).group(1)
    assert f'const BRAND_PATH = "{path}";' in drawn
    rect = re.search(r'<rect ([^/]+)/>', icon).group(1)
    for name, value in re.findall(r'(\w+)="([^"]+)"', rect):
        assert f'["{name}", "{value}"]' in drawn, name
    assert 'viewBox="0 0 32 32"' in icon and '["viewBox", "0 0 32 32"]' in drawn
