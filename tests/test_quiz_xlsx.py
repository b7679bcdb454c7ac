"""The XLSX template (academy.quizzes.formats.xlsx): rows, problems, round trip."""

from __future__ import annotations

import io

import openpyxl
import pytest

from academy.quizzes.formats import ExportProblems
from academy.quizzes.formats.xlsx import HEADERS, dump_xlsx, parse_xlsx, xlsx_template
from academy.quizzes.spec import Answer, Pair, Question


def sheet(*rows: dict[str, object]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "题目"
    ws.append(HEADERS)
    for row in rows:
        ws.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


QUESTIONS = [
    Question(type="single", text="需要什么？", name="材料", category="社保/参保",
             tags=["基础", "窗口"], general_feedback="以身份证为准。",
             answers=[Answer("身份证", 1.0, "对"), Answer("结婚证", 0.0)]),
    Question(type="multiple", text="缴费方式？", name="方式", category="社保/参保",
             answers=[Answer("代扣", 0.5), Answer("窗口", 0.5), Answer("邮寄", -1.0)]),
    Question(type="multiple", text="哪些？", name="三选", answers=[
        Answer("甲", 1 / 3), Answer("乙", 1 / 3), Answer("丙", 1 / 3), Answer("丁", 0.0)]),
    Question(type="truefalse", text="每年认证。", name="认证", correct=True,
             feedback_false="每年都要认证。", default_mark=2.0),
    Question(type="shortanswer", text="证件？", name="证件",
             answers=[Answer("身份证", 1.0), Answer("居民身份证", 1.0)]),
    Question(type="shortanswer", text="部分？", name="部分",
             answers=[Answer("身份证", 1.0), Answer("证件", 0.5, "不够具体")]),
    Question(type="numerical", text="退休年龄？", name="年龄",
             answers=[Answer(value=60.0, fraction=1.0), Answer(text="*", feedback="再想想")]),
    Question(type="numerical", text="范围？", name="范围",
             answers=[Answer(value=60.0, tolerance=0.5, fraction=1.0),
                      Answer(low=55.0, high=65.0, fraction=0.5)]),
    Question(type="matching", text="对应。", name="险种",
             pairs=[Pair("生育津贴", "生育保险"), Pair("门诊", "医疗保险"), Pair("", "工伤保险")]),
    Question(type="ordering", text="排序。", name="步骤", steps=["受理", "审核", "办结"]),
    Question(type="essay", text="简述首问负责制。", name="首问"),
]


def test_round_trip():
    questions, problems = parse_xlsx(dump_xlsx(QUESTIONS))
    assert problems == []
    for q in questions:
        q.source_line = None
    assert questions == QUESTIONS


def test_template_has_headers_and_help():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_template()))
    assert book.sheetnames == ["题目", "填写说明"]
    assert [c.value for c in book["题目"][1]] == HEADERS
    assert "正确答案" in [c.value for c in book["填写说明"]["A"]]
    assert parse_xlsx(xlsx_template()) == ([], [])


def test_instructor_rows():
    data = sheet(
        {"分类": "社保", "题型": "单选", "题干": "需要什么？", "选项A": "身份证", "选项B": "户口本",
         "正确答案": "a"},
        {},  # blank rows are skipped
        {"题型": "多选", "题干": "哪些？", "选项A": "甲", "选项B": "乙", "选项C": "丙",
         "正确答案": "A，C"},
        {"题型": "判断", "题干": "对吗？", "正确答案": "错", "反馈": "其实是对的"},
        {"题型": "数值", "题干": "几？", "正确答案": 60},
    )
    questions, problems = parse_xlsx(data)
    assert problems == []
    single, multiple, truefalse, numerical = questions
    assert [a.fraction for a in single.answers] == [1.0, 0.0] and single.category == "社保"
    assert single.name == "需要什么？" and single.source_line == 2
    assert [a.fraction for a in multiple.answers] == [0.5, 0.0, 0.5]
    assert truefalse.correct is False and truefalse.feedback_true == "其实是对的"
    assert numerical.answers[0].value == 60.0 and numerical.source_line == 6


@pytest.mark.parametrize(("row", "fragment"), [
    ({"题型": "选择", "题干": "x"}, "题型"),
    ({"题型": "单选", "题干": "x", "选项A": "甲", "选项B": "乙"}, "正确答案"),
    ({"题型": "单选", "题干": "x", "选项A": "甲", "选项B": "乙", "正确答案": "AB"}, "exactly one"),
    ({"题型": "单选", "题干": "x", "选项A": "甲", "选项B": "乙", "正确答案": "D"}, "A–F"),
    ({"题型": "单选", "题干": "x", "选项A": "甲", "选项C": "乙", "正确答案": "A"}, "选项B"),
    ({"题型": "多选", "题干": "x", "选项A": "60%|甲", "选项B": "乙"}, "100%"),
    ({"题型": "判断", "题干": "x", "正确答案": "也许"}, "对 or 错"),
    ({"题型": "数值", "题干": "x", "正确答案": "六十"}, "not a number"),
    ({"题型": "匹配", "题干": "x", "选项A": "甲乙"}, "题目 -> 答案"),
    ({"题型": "问答", "题干": ""}, "empty"),
    ({"题型": "单选", "题干": "x", "选项A": "甲", "选项B": "乙", "正确答案": "A", "反馈": "y"},
     "反馈"),
])
def test_problems_name_the_row(row, fragment):
    questions, problems = parse_xlsx(sheet({"题型": "问答", "题干": "好的"}, row))
    assert len(problems) == 1, problems
    assert problems[0].row == 3 and problems[0].message.startswith("row 3: ")
    assert fragment in problems[0].message


def test_not_a_workbook_and_missing_columns():
    assert parse_xlsx(b"not a zip")[1][0].row == 1
    book = openpyxl.Workbook()
    book.active.append(["名字"])
    out = io.BytesIO()
    book.save(out)
    assert "题型" in parse_xlsx(out.getvalue())[1][0].message


def test_what_the_template_cannot_hold_is_refused():
    many = Question(type="ordering", text="x", name="多", steps=[str(i) for i in range(7)])
    with pytest.raises(ExportProblems):
        dump_xlsx([many])


def test_import_through_the_service(app, db):
    from academy.quizzes import services
    from tests.quiz_factories import make_bank

    bank = make_bank()
    report = services.import_questions(bank, dump_xlsx(QUESTIONS), fmt="xlsx")
    assert report.errors == [] and report.created == len(QUESTIONS)
    bad = services.import_questions(bank, sheet({"题型": "单选", "题干": "x"}), fmt="xlsx")
    assert bad.errors[0].as_dict()["row"] == 2
