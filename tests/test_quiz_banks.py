"""Question banks: creating, importing (all or nothing, with lines), upserting, exporting."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from academy.errors import Conflict, ValidationFailed
from academy.quizzes import serialize, services
from academy.quizzes.models import Question, QuestionCategory
from academy.quizzes.spec import Answer, Pair
from academy.quizzes.spec import Question as Spec
from tests.quiz_factories import (
    GIFT_FILE,
    GIFT_WITH_ERROR,
    MOODLE_XML_FILE,
    make_bank,
    make_skill,
)


def count(db, model=Question) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- serialize (pure)


def test_serialize_round_trip():
    spec = Spec(type="multiple", text="题干", name="名", category="a/b", tags=["x"],
                answers=[Answer(text="甲", fraction=0.5, feedback="好"),
                         Answer(text="乙", fraction=0.5)],
                pairs=[Pair("p", "a")], steps=["1", "2"], rubric=[{"criterion": "c"}],
                source_line=7)
    data = serialize.to_dict(spec)
    assert "source_line" not in data
    back = serialize.from_dict(data)
    spec.source_line = None
    assert back == spec
    assert serialize.from_dict({"type": "essay", "text": "t", "unknown": 1}).type == "essay"


# ---------------------------------------------------------------- banks


def test_create_bank_checks_code_and_uniqueness(app, db):
    skill = make_skill()
    bank = services.create_bank(code="social-1", title="社保", skill=skill)
    assert bank.code == "SOCIAL-1"
    with pytest.raises(ValidationFailed) as info:
        services.create_bank(code="bad code!", title="", skill=None)
    assert set(info.value.fields) == {"code", "title", "skill"}
    with pytest.raises(Conflict):
        services.create_bank(code="SOCIAL-1", title="又一个", skill=skill)


# ---------------------------------------------------------------- importing


def test_import_gift_creates_questions_and_categories(app, db):
    bank = make_bank()
    report = services.import_questions(bank, GIFT_FILE.encode(), fmt="gift")
    db.session.commit()
    assert report.errors == []
    assert (report.imported, report.created, report.updated) == (5, 5, 0)
    assert report.categories == {"社保/参保登记": 2, "社保/待遇领取": 3}
    groups = services.questions_by_category(bank)
    assert [path for path, _rows in groups] == ["社保/参保登记", "社保/待遇领取"]
    first = groups[0][1][0]
    assert (first.name, first.type, first.tags) == ("参保材料", "single", ["基础", "窗口"])
    spec = services.question_spec(first)
    assert spec.category == "社保/参保登记"
    assert spec.answers[0].feedback == "对，身份证是必需的。"


def test_dry_run_writes_nothing(app, db):
    bank = make_bank()
    report = services.import_questions(bank, GIFT_FILE.encode(), fmt="gift", dry_run=True)
    db.session.commit()
    assert report.errors == [] and report.imported == 5
    assert count(db) == 0 and count(db, QuestionCategory) == 0


def test_any_problem_imports_nothing_and_names_the_line(app, db):
    bank = make_bank()
    report = services.import_questions(bank, GIFT_WITH_ERROR.encode(), fmt="gift")
    db.session.commit()
    assert report.imported == 0
    assert [p.line for p in report.errors] == [9]
    assert "line 9" in report.errors[0].message
    assert count(db) == 0


def test_type_validation_problems_are_reported_with_their_line(app, db):
    bank = make_bank()
    text = "::一::第一题{=对 ~错}\n\n::二::第二题{=对 ~错}\n\n::二::第二题又来了{=对 ~错}\n"
    report = services.import_questions(bank, text.encode(), fmt="gift")
    assert [p.line for p in report.errors] == [5]
    assert "二" in report.errors[0].message
    assert count(db) == 0


def test_reimport_updates_by_category_and_name(app, db):
    bank = make_bank()
    services.import_questions(bank, GIFT_FILE.encode(), fmt="gift")
    db.session.commit()
    changed = GIFT_FILE.replace("\t~房产证", "\t~户口本")
    changed = changed.replace("{#60}", "{#60}\n\n::新题::新的{}")
    report = services.import_questions(bank, changed.encode(), fmt="gift")
    db.session.commit()
    assert (report.created, report.updated) == (1, 5)
    assert count(db) == 6
    row = db.session.scalar(select(Question).where(Question.name == "参保材料"))
    assert [a["text"] for a in row.data["answers"]] == ["身份证", "结婚证", "户口本"]


def test_moodle_xml_import(app, db):
    bank = make_bank()
    report = services.import_questions(bank, MOODLE_XML_FILE.encode(), fmt="moodle-xml")
    db.session.commit()
    assert report.errors == [] and report.categories == {"医保": 2}
    types = sorted(row.type for row in services.bank_questions(bank))
    assert types == ["matching", "ordering"]


def test_broken_xml_reports_its_line(app, db):
    bank = make_bank()
    report = services.import_questions(bank, b"<quiz>\n<question>\n</quiz>", fmt="moodle-xml")
    assert report.errors and report.errors[0].line == 3


def test_unknown_format_is_refused(app, db):
    bank = make_bank()
    with pytest.raises(services.UnknownFormat):
        services.import_questions(bank, b"x", fmt="csv")


def test_format_for_filename():
    assert services.format_for_filename("题库.GIFT") == "gift"
    assert services.format_for_filename("a.txt") == "gift"
    assert services.format_for_filename("a.xml") == "moodle-xml"
    assert services.format_for_filename("a.xlsx") == "xlsx"
    assert services.format_for_filename("a.doc") is None


# ---------------------------------------------------------------- exporting


@pytest.mark.parametrize(("fmt", "source"), [("gift", GIFT_FILE),
                                             ("moodle-xml", GIFT_FILE),
                                             ("moodle-xml", MOODLE_XML_FILE)])
def test_export_import_export_is_identical(app, db, fmt, source):
    skill = make_skill()
    first = make_bank("FIRST", skill)
    source_fmt = "moodle-xml" if source.startswith("<?xml") else "gift"
    assert services.import_questions(first, source.encode(), fmt=source_fmt).errors == []
    db.session.commit()
    exported = services.export_bank(first, fmt)
    assert exported == services.export_bank(first, fmt)  # deterministic
    second = make_bank("SECOND", skill)
    report = services.import_questions(second, exported, fmt=fmt)
    assert report.errors == []
    db.session.commit()
    assert services.export_bank(second, fmt) == exported


def test_gift_cannot_hold_ordering_questions(app, db):
    bank = make_bank()
    services.import_questions(bank, MOODLE_XML_FILE.encode(), fmt="moodle-xml")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.export_bank(bank, "gift")


# ---------------------------------------------------------------- pages


@pytest.fixture
def instructor(login_as, orgs):
    return login_as(roles=("instructor",), unit=orgs["S1"])


def upload(client, code, text, name="题库.gift", **extra):
    import io

    return client.post(f"/quizzes/banks/{code}/import",
                       data={"file": (io.BytesIO(text.encode()), name), **extra},
                       content_type="multipart/form-data")


def test_pages_create_bank_then_preview_and_confirm(client, db, instructor):
    skill_id = make_skill().id
    db.session.commit()
    created = client.post("/quizzes/banks/new", data={"code": "soc", "title": "社保题库",
                                                      "skill": skill_id})
    assert created.status_code == 302
    assert client.get("/quizzes/banks").get_data(as_text=True).count("SOC") >= 1

    bad = upload(client, "SOC", GIFT_WITH_ERROR)
    assert bad.status_code == 200  # a report, like the roster preview
    page = bad.get_data(as_text=True)
    assert 'class="problem-place">9<' in page and "confirm-import" not in page

    good = upload(client, "SOC", GIFT_FILE)
    assert good.status_code == 200
    page = good.get_data(as_text=True)
    assert "confirm-import" in page and count(db) == 0
    import re

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post("/quizzes/banks/SOC/import/confirm",
                       data={"token": token, "format": "gift"})
    assert done.status_code == 302
    assert count(db) == 5
    again = client.post("/quizzes/banks/SOC/import/confirm",
                        data={"token": token, "format": "gift"})
    assert again.status_code == 302 and count(db) == 5  # the upload is gone

    detail = client.get("/quizzes/banks/SOC").get_data(as_text=True)
    assert "社保/参保登记" in detail and "办理城乡居民参保登记需要提供什么？" in detail
    assert "/api/v1/question-banks/SOC/export?format=gift" in detail


def test_import_page_needs_a_format_it_can_tell(client, db, instructor):
    make_bank()
    response = upload(client, "SOCIAL-1", GIFT_FILE, name="questions.txt", format="")
    assert response.status_code == 200
    unknown = upload(client, "SOCIAL-1", "x", name="questions.xml", format="gift")
    assert "import-problems" in unknown.get_data(as_text=True)  # read as GIFT, as asked


def test_question_text_is_escaped_unless_markdown(client, db, instructor):
    bank = make_bank()
    text = "::危险::<script>alert(1)</script>{}\n\n::MD::[markdown]**粗体**{}\n"
    services.import_questions(bank, text.encode(), fmt="gift")
    db.session.commit()
    page = client.get("/quizzes/banks/SOCIAL-1").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<strong>粗体</strong>" in page


def test_trainees_cannot_see_banks(client, login_as, orgs):
    login_as(roles=("trainee",), unit=orgs["S1"])
    assert client.get("/quizzes/banks").status_code == 403
