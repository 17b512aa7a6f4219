"""Every text the pages show has its words in every language: each key a shell marks for
translation (``data-t``, ``data-t-label`` …) has a Finnish and a Swedish entry in some catalogue
(api/web/static/js/texts/*.js; its English stays in the shell), and each key a page script asks
for with ``t("…")`` or ``pageTitle("…")`` has an English one (and so one in every language, as
the catalogues give each key in all three). The JavaScript is read with regular expressions:
the catalogues keep to one shape (``register({en: {...}, fi: {...}, sv: {...}})``, a key a line,
spread tables of ``key: [en, fi, sv]`` as in texts/common.js, or a whole catalogue as one table
of ``"key": [en, fi, sv]`` rows registered column by column, as in texts/forms.js)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.web import STATIC_DIR

SHELLS = STATIC_DIR.parent / "shells"
SCRIPTS = STATIC_DIR / "js"
TEXTS = SCRIPTS / "texts"
LANGS = ("en", "fi", "sv")

_BLOCK = re.compile(r"^  (en|fi|sv): \{\n(.*?)^  \},?$", re.MULTILINE | re.DOTALL)
_KEY = re.compile(r'^    (?:"([^"]+)"|([A-Za-z_][\w]*)):', re.MULTILINE)
_SPREAD = re.compile(r'^    \.\.\.column\((\w+), "([^"]+)", \d\),', re.MULTILINE)
_MARKS = re.compile(r'\sdata-t(?:-(?:label|title|placeholder|aria-label))?="([^"]+)"')
_BY_COLUMN = re.compile(r"register\(\{ en: table\(0\), fi: table\(1\), sv: table\(2\) \}\)")
_ASKED = re.compile(r'\b(?:t|pageTitle)\(\s*"([^"]+)"')


def _table(source: str, name: str) -> list[str]:
    """The keys of ``const NAME = { key: [...], ... };`` in ``source``."""
    found = re.search(rf"^const {name} = \{{\n(.*?)^\}};", source, re.MULTILINE | re.DOTALL)
    assert found, f"no table {name}"
    return re.findall(r"^  (\w+): \[", found.group(1), re.MULTILINE)


def catalogue_keys(source: str) -> dict[str, set[str]]:
    """The keys one catalogue file gives, per language."""
    keys: dict[str, set[str]] = {lang: set() for lang in LANGS}
    for lang, body in _BLOCK.findall(source):
        keys[lang] |= {quoted or bare for quoted, bare in _KEY.findall(body)}
        for name, prefix in _SPREAD.findall(body):
            keys[lang] |= {f"{prefix}.{key}" for key in _table(source, name)}
    if _BY_COLUMN.search(source):  # register({ en: table(0), fi: table(1), sv: table(2) })
        for lang in LANGS:
            keys[lang] |= _rows(source, "TEXTS")
    return keys


def _rows(source: str, name: str) -> set[str]:
    """The keys of ``const NAME = { "key": [en, fi, sv], ... };`` (a key a line)."""
    found = re.search(rf"^const {name} = \{{\n(.*?)^\}};", source, re.MULTILINE | re.DOTALL)
    assert found, f"no table {name}"
    rows = re.findall(r'^  (?:"([^"]+)"|(\w+)): \[', found.group(1), re.MULTILINE)
    return {quoted or bare for quoted, bare in rows}


def all_catalogues() -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {lang: set() for lang in LANGS}
    for path in sorted(TEXTS.glob("*.js")):
        for lang, found in catalogue_keys(path.read_text(encoding="utf-8")).items():
            keys[lang] |= found
    return keys


def shell_keys(html: str) -> set[str]:
    return set(_MARKS.findall(html))


def asked_keys(script: str) -> set[str]:
    return set(_ASKED.findall(script))


def _scripts() -> list[Path]:
    return [p for p in sorted(SCRIPTS.glob("*.js")) if p.name != "i18n.js"]


def test_the_catalogues_are_read() -> None:
    keys = all_catalogues()
    for lang in LANGS:
        assert {"nav.journeys", "kind.consent_granted", "role.auditor", "zone"} <= keys[lang]
        assert {"home.title", "audit.col.finding", "planner.col.clients"} <= keys[lang]
    assert shell_keys(SHELLS.joinpath("home.html").read_text(encoding="utf-8")) >= {"home.title"}
    assert asked_keys(SCRIPTS.joinpath("shell.js").read_text(encoding="utf-8")) >= {"sign_out"}


@pytest.mark.parametrize("shell", sorted(p.name for p in SHELLS.glob("*.html")))
def test_every_key_a_shell_marks_has_finnish_and_swedish(shell: str) -> None:
    keys = all_catalogues()
    marked = shell_keys(SHELLS.joinpath(shell).read_text(encoding="utf-8"))
    for lang in ("fi", "sv"):
        missing = sorted(marked - keys[lang])
        assert not missing, f"{shell}: no {lang} text for {missing}"


@pytest.mark.parametrize("script", [p.name for p in _scripts()])
def test_every_key_a_script_asks_for_has_english(script: str) -> None:
    keys = all_catalogues()
    asked = asked_keys(SCRIPTS.joinpath(script).read_text(encoding="utf-8"))
    missing = sorted(asked - keys["en"])
    assert not missing, f"{script}: no English text for {missing}"


@pytest.mark.parametrize("catalogue", sorted(p.name for p in TEXTS.glob("*.js")))
def test_each_catalogue_gives_every_key_in_every_language(catalogue: str) -> None:
    keys = catalogue_keys(TEXTS.joinpath(catalogue).read_text(encoding="utf-8"))
    assert keys["en"], f"{catalogue}: no English texts found (not in the catalogues' shape?)"
    for lang in ("fi", "sv"):
        assert keys[lang] == keys["en"], (
            f"{catalogue}: {lang} lacks {sorted(keys['en'] - keys[lang])},"
            f" has extra {sorted(keys[lang] - keys['en'])}"
        )


def test_a_missing_entry_is_caught() -> None:
    """The check above fails when an entry goes: one deleted from a copy of a catalogue."""
    source = TEXTS.joinpath("home.js").read_text(encoding="utf-8")
    fewer = re.sub(r'^    "home\.open_title": .*\n', "", source, count=1, flags=re.MULTILINE)
    assert fewer != source
    keys = catalogue_keys(fewer)
    assert "home.open_title" not in keys["en"]
    assert "home.open_title" in keys["fi"]
