"""Every user-visible string has a Chinese translation; zh_CN is the default, English switchable."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "academy/translations/zh/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "N_": None}


def _extracted() -> set[str]:
    found: set[str] = set()
    method_map = [("academy/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS,
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_string_has_a_chinese_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and m.string and (all(m.string) if isinstance(m.string, tuple) else True)
        and not m.fuzzy
    }
    missing = sorted(_extracted() - translated)
    assert not missing, f"{len(missing)} strings lack a zh_CN translation, e.g. {missing[:10]}"


def test_chinese_by_default_and_english_on_request(chinese, client, orgs, make_user):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and '<html lang="zh-CN">' in page
    client.post("/language", data={"locale": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and '<html lang="en">' in page


def test_language_is_remembered_per_user(chinese, app, orgs, make_user):
    make_user("polyglot", unit=orgs["V1"])
    first = app.test_client()
    first.post("/login", data={"username": "polyglot", "password": "Correct-Horse-42"})
    first.post("/language", data={"locale": "en", "next": "/"})
    second = app.test_client()  # a new browser: no session language yet
    second.post("/login", data={"username": "polyglot", "password": "Correct-Horse-42"})
    assert "Home" in second.get("/").get_data(as_text=True)


def test_the_catalog_compiles_without_placeholder_errors():
    """What `pybabel compile` (make run) refuses: a translation whose %(name)s placeholders
    do not match its msgid's."""
    path = ROOT / "academy" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    problems = [(message.id, [str(error) for error in errors])
                for message, errors in catalog.check()]
    assert problems == []
