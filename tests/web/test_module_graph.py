"""A page's head names every module its script imports (web.module_graph, modulepreload), so the browser
asks for them all at once; the canvas's first requests start from an early script of their own."""

from __future__ import annotations

import json
import re

from web import i18n, pages
from web.cache_policy import file_version
from web.module_graph import lazy_imports, static_imports

JS = pages.SCRIPTS_DIR


def test_static_imports_follow_every_static_import_and_no_dynamic_one(tmp_path):
    (tmp_path / "screens").mkdir()
    (tmp_path / "page.js").write_text(
        'import { a } from "./a.js";\n'
        "import {\n  b,\n  c,\n} from './screens/b.js';\n"  # over several lines, single quotes
        'export { d } from "./d.js";\n'
        'import "./side-effect.js";\n'
        'const lazy = () => import("./lazy.js");\n'  # loaded when wanted: not preloaded
        '// import { x } from "./commented.js" is still a line starting with a comment\n'
        'const text = "import { y } from \'./in-a-string.js\'";\n'
    )
    (tmp_path / "a.js").write_text('import { b } from "./screens/b.js";\n')  # twice: once in the answer
    (tmp_path / "screens" / "b.js").write_text('import { e } from "../e.js";\nimport { f } from "./f.js";\n')
    for name in ("d.js", "side-effect.js", "e.js", "screens/f.js", "lazy.js"):
        (tmp_path / name).write_text("export const x = 1;\n")
    assert static_imports(tmp_path, "page.js") == ["a.js", "screens/b.js", "d.js", "side-effect.js", "e.js", "screens/f.js"]
    # an edit shows at once: the file is read again when it changed
    (tmp_path / "e.js").write_text('import { g } from "./g.js";\n')
    (tmp_path / "g.js").write_text("export const g = 1;\n")
    assert static_imports(tmp_path, "page.js")[-1] == "g.js"


def test_lazy_imports_are_the_literal_dynamic_ones_and_what_they_import(tmp_path):
    (tmp_path / "page.js").write_text(
        'import { a } from "./a.js";\n'
        'const sheet = () => import("./sheet.js");\n'
        "const built = (name) => import(`./objects/${name}.js`);\n"  # built at run time: not followed
        'const text = "import(\'./in-a-string.js\')";\n'
    )
    (tmp_path / "a.js").write_text('const toast = () => import( "./toast.js" );\n')  # from a static import too
    (tmp_path / "sheet.js").write_text('import { a } from "./a.js";\nimport { form } from "./form.js";\n')
    (tmp_path / "form.js").write_text('const more = () => import("./more.js");\n')  # lazy in a lazy one
    for name in ("toast.js", "more.js"):
        (tmp_path / name).write_text("export const x = 1;\n")
    # a.js is imported statically already; the string's import("...") names no file: left out
    assert lazy_imports(tmp_path, "page.js") == ["sheet.js", "form.js", "toast.js", "more.js"]
    assert static_imports(tmp_path, "page.js") == ["a.js"]


def test_every_page_preloads_its_whole_module_graph(client):
    for path, page in pages.PAGES.items():
        html = client.get(path.replace("{id}", "7")).text
        preloaded = re.findall(r'<link rel="modulepreload" href="/static/js/([a-z0-9/_-]+\.js)\?v=[0-9a-f]{16}">', html)
        early = re.findall(r'<script type="module" async src="/static/js/([a-z0-9/_-]+\.js)\?v=[0-9a-f]{16}"></script>', html)
        assert early == list(page.early), path
        # every module the script imports, however deep, exactly once (an early one is a script already)
        assert sorted(preloaded + early) == sorted(static_imports(JS, page.script)), path
        assert len(set(preloaded)) == len(preloaded), path
        for name in preloaded + early:
            assert (JS / name).is_file(), name
        # the import map names each of them, and the page's script, by the address it is preloaded under
        # (a module's plain import "./x.js" must find the preloaded module, not fetch a second one)
        imports = json.loads(re.search(r'<script type="importmap">([^<]*)</script>', html).group(1))["imports"]
        # and the modules it loads only when wanted, by their versioned address too (not preloaded)
        lazy = lazy_imports(JS, page.script)
        assert not set(lazy) & set(preloaded + early), path
        assert set(imports) == {f"/static/js/{name}" for name in [page.script, *preloaded, *early, *lazy]}, path
        for plain, versioned in imports.items():
            named = f'href="{versioned}"' in html or f'src="{versioned}"' in html
            assert versioned.startswith(plain + "?v=") and (named or plain[len("/static/js/"):] in lazy), versioned


def test_the_canvas_asks_for_its_data_from_its_early_script():
    page = pages.PAGES["/plans/{id}"]
    assert page.early == ("canvas/opening.js",)
    # the editor imports it too (one module, run once): the requests are not made twice
    assert "canvas/opening.js" in static_imports(JS, page.script)
    # three levels of imports at least: the reason for preloading them all
    assert {"canvas/forms.js", "canvas/schema.js", "api.js", "i18n.js"} <= set(static_imports(JS, page.script))
    # the side sheet and the form toolkit are loaded when a sheet is wanted, not before the first paint
    assert not {"sheet.js", "form.js", "schema.js", "toast.js"} & set(static_imports(JS, page.script))
    assert {"sheet.js", "form.js", "schema.js", "toast.js"} <= set(lazy_imports(JS, page.script))
    opening = (JS / "canvas" / "opening.js").read_text()
    for request in ("/api/auth/me", "loadMessages(browserLanguage())", "/api/plans/${planId}/editor", "/schemas/callplan.schema.json"):
        assert request in opening
    editor = (JS / "canvas" / "editor.js").read_text()
    assert "/editor`" not in editor and "currentSession(" not in editor


def test_the_canvas_head_asks_for_its_first_answers_itself(client):
    preloads = re.compile(r'<link rel="preload" as="fetch" crossorigin href="([^"]+)">')
    html = client.get("/plans/7", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.8"}).text
    texts, schema = f"/api/i18n/nl?v={i18n.page_texts('nl')[1]}", f"/schemas/callplan.schema.json?v={file_version(pages.SCHEMA_FILE)}"
    assert preloads.findall(html) == ["/api/plans/7/editor", "/api/auth/me", texts, schema]
    # the language the browser asks for first (as i18n.js browserLanguage() picks it), English otherwise
    english = f"/api/i18n/en?v={i18n.page_texts('en')[1]}"
    assert english in preloads.findall(client.get("/plans/7", headers={"Accept-Language": "fr-FR,en;q=0.5"}).text)
    assert english in preloads.findall(client.get("/plans/7").text)
    # an address that names no plan asks for nothing (its script sends it back to the list)
    assert preloads.findall(client.get("/plans/abc").text) == []
    # the other pages ask for nothing before their scripts
    assert preloads.findall(client.get("/plans").text) == []
    # the script fetches them plainly, so the browser hands over the preloaded answers
    opening = (JS / "canvas" / "opening.js").read_text()
    assert 'preloaded("/api/auth/me")' in opening and "preloaded(`/api/plans/${planId}/editor`)" in opening
    assert "fetch(preloadedAddress(`/api/i18n/${wanted}`))" in (JS / "i18n.js").read_text()
    assert 'fetch(preloadedAddress("/schemas/callplan.schema.json"))' in opening
