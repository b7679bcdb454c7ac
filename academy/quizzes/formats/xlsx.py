"""The Excel template (XLSX) for instructors who write questions in a spreadsheet.

One question per row under Chinese headers (the sheet "题目"); the sheet "填写说明"
explains each column. Every problem carries its ``row`` (the header is row 1); callers
import nothing when there is any. Pure apart from openpyxl: no Flask, no database.

Columns: 分类, 题型 (单选/多选/判断/填空/数值/匹配/排序/问答), 题目名称, 题干, 选项A…选项F,
正确答案, 反馈, 总体反馈, 标签, 分值. An option cell is ``文字``, or ``权重%|文字`` to give
it a weight, optionally followed by a line ``反馈：…`` (Alt+Enter in Excel).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from academy.quizzes.formats import (
    ExportProblems,
    fraction_from_percent,
    is_catch_all,
    normalize_category,
    number_text,
    percent_text,
    question_problems,
)
from academy.quizzes.spec import (
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    ORDERING,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    FormatProblem,
    Pair,
    Question,
)

__all__ = ["HEADERS", "dump_xlsx", "parse_xlsx", "xlsx_template"]

SHEET = "题目"
HELP_SHEET = "填写说明"
LETTERS = "ABCDEF"
OPTION_HEADERS = [f"选项{letter}" for letter in LETTERS]
HEADERS = ["分类", "题型", "题目名称", "题干", *OPTION_HEADERS, "正确答案", "反馈", "总体反馈",
           "标签", "分值"]
TYPE_NAMES = {SINGLE: "单选", MULTIPLE: "多选", TRUEFALSE: "判断", SHORTANSWER: "填空",
              NUMERICAL: "数值", MATCHING: "匹配", ORDERING: "排序", ESSAY: "问答"}
_TYPES_BY_NAME = {name: key for key, name in TYPE_NAMES.items()}
_TRUE = {"对", "正确", "是", "√", "✓", "T", "TRUE", "Y"}
_FALSE = {"错", "错误", "否", "×", "✗", "X", "F", "FALSE", "N"}
_WEIGHT_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[%％]\s*[|｜]")
_FEEDBACK_RE = re.compile(r"\n\s*反馈[:：]")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TAG_SPLIT = re.compile(r"[,，;；、]")
_PAIR_SPLIT = re.compile(r"\s*(?:->|→|=>)\s*")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Problem(Exception):
    pass


# Reading ---------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _option(cell: str) -> tuple[float | None, str, str]:
    """An option cell: (weight or None, text, feedback)."""
    weight = None
    match = _WEIGHT_RE.match(cell)
    if match:
        percent = match.group(1)
        weight = fraction_from_percent(percent)
        cell = cell[match.end():]
    text, feedback = cell, ""
    found = _FEEDBACK_RE.search(cell)
    if found:
        text, feedback = cell[:found.start()], cell[found.end():]
    return weight, text.strip(), feedback.strip()


def _letters(raw: str, options: int) -> list[int]:
    letters = [ch for ch in raw.upper() if not ch.isspace() and ch not in ",，、;；"]
    indexes = []
    for ch in letters:
        ch = chr(ord(ch) - 0xFEE0) if "Ａ" <= ch <= "Ｆ" else ch  # full-width letters
        if ch not in LETTERS or LETTERS.index(ch) >= options:
            raise _Problem(f"正确答案 “{raw}” names no filled option (use letters A–F)")
        if LETTERS.index(ch) in indexes:
            raise _Problem(f"正确答案 “{raw}” names an option twice")
        indexes.append(LETTERS.index(ch))
    return indexes


def _number_answer(raw: str, fraction: float, feedback: str) -> Answer:
    text = raw.replace("±", ":").replace("～", "..").replace("~", "..").replace(" ", "")
    if text == "*":
        return Answer(text="*", fraction=fraction, feedback=feedback)
    if ".." in text:
        low, _sep, high = text.partition("..")
        if _NUMBER_RE.fullmatch(low) and _NUMBER_RE.fullmatch(high):
            return Answer(fraction=fraction, feedback=feedback, low=float(low),
                          high=float(high))
    else:
        value, _sep, tolerance = text.partition(":")
        if _NUMBER_RE.fullmatch(value) and (not tolerance or _NUMBER_RE.fullmatch(tolerance)):
            return Answer(fraction=fraction, feedback=feedback, value=float(value),
                          tolerance=float(tolerance or 0))
    raise _Problem(f"“{raw}” is not a number, number±tolerance or min..max range")


def _question(cells: dict[str, str]) -> Question:
    kind = _TYPES_BY_NAME.get(cells["题型"])
    if kind is None:
        raise _Problem(f"题型 “{cells['题型']}” is not one of "
                       + "/".join(TYPE_NAMES.values()))
    q = Question(type=kind, text=cells["题干"], name=cells["题目名称"],
                 category=normalize_category(cells["分类"]),
                 general_feedback=cells["总体反馈"],
                 tags=[t.strip() for t in _TAG_SPLIT.split(cells["标签"]) if t.strip()])
    if cells["分值"]:
        if not _NUMBER_RE.fullmatch(cells["分值"]) or float(cells["分值"]) <= 0:
            raise _Problem(f"分值 “{cells['分值']}” is not a positive number")
        q.default_mark = float(cells["分值"])
    options = [cells[h] for h in OPTION_HEADERS]
    while options and not options[-1]:
        options.pop()
    if "" in options:
        raise _Problem(f"选项{LETTERS[options.index('')]} is empty but a later option is not")
    right, feedback = cells["正确答案"], cells["反馈"]
    if feedback and kind not in (TRUEFALSE, NUMERICAL):
        raise _Problem("反馈 is used by 判断 and 数值 questions only; put an option's "
                       "feedback in its cell after a line starting 反馈：")
    if kind in (SINGLE, MULTIPLE):
        parsed = [_option(cell) for cell in options]
        weighted = any(weight is not None for weight, _t, _f in parsed)
        if weighted and right:
            raise _Problem("give the right answers either as weights in the options or "
                           "in 正确答案, not both")
        if not weighted and not right:
            raise _Problem("say which options are right in 正确答案 (e.g. B, or ACD)")
        fractions = [weight or 0.0 for weight, _t, _f in parsed]
        if right:
            chosen = _letters(right, len(parsed))
            if kind == SINGLE and len(chosen) != 1:
                raise _Problem("a 单选 question has exactly one letter in 正确答案")
            for index in chosen:
                fractions[index] = 1.0 / len(chosen)
        q.answers = [Answer(text=text, fraction=fraction, feedback=fb)
                     for (_w, text, fb), fraction in zip(parsed, fractions, strict=True)]
    elif kind == TRUEFALSE:
        if options:
            raise _Problem("a 判断 question has no options")
        said = right.upper()
        if said not in _TRUE | _FALSE:
            raise _Problem("正确答案 of a 判断 question is 对 or 错")
        q.correct = said in _TRUE
        if q.correct:
            q.feedback_false = feedback
        else:
            q.feedback_true = feedback
    elif kind == SHORTANSWER:
        if options and right:
            raise _Problem("give the accepted answers either in the options or in 正确答案, "
                           "not both")
        if options:
            for cell in options:
                weight, text, fb = _option(cell)
                q.answers.append(Answer(text=text, fraction=1.0 if weight is None else weight,
                                        feedback=fb))
        else:
            q.answers = [Answer(text=text.strip(), fraction=1.0)
                         for text in re.split(r"[|｜]", right) if text.strip()]
    elif kind == NUMERICAL:
        if options and right:
            raise _Problem("give the numbers either in the options or in 正确答案, not both")
        for cell in options or ([right] if right else []):
            weight, text, fb = _option(cell)
            q.answers.append(_number_answer(text, 1.0 if weight is None else weight, fb))
        if feedback:
            q.answers.append(Answer(text="*", fraction=0.0, feedback=feedback))
    elif kind == MATCHING:
        if right:
            raise _Problem("a 匹配 question has its pairs in the options (题目 -> 答案), "
                           "not in 正确答案")
        for letter, cell in zip(LETTERS, options, strict=False):
            parts = _PAIR_SPLIT.split(cell, maxsplit=1)
            if len(parts) != 2:
                raise _Problem(f"选项{letter} “{cell}” is not a pair written 题目 -> 答案")
            q.pairs.append(Pair(prompt=parts[0].strip(), answer=parts[1].strip()))
    elif kind == ORDERING:
        if right:
            raise _Problem("a 排序 question lists its steps in the options in the right "
                           "order, with nothing in 正确答案")
        q.steps = options
    elif kind == ESSAY and (options or right):
        raise _Problem("a 问答 question has no options and no 正确答案")
    return q


def parse_xlsx(data: bytes) -> tuple[list[Question], list[FormatProblem]]:
    """Read the template's questions; every problem carries its row (import none if any)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        return [], [FormatProblem("row 1: the file is not an Excel workbook (.xlsx)", row=1)]
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(value) for value in next(rows, ())]
    columns = {name: index for index, name in reversed(list(enumerate(header))) if name}
    missing = [name for name in ("题型", "题干") if name not in columns]
    if missing:
        book.close()
        return [], [FormatProblem(f"row 1: the header has no column {', '.join(missing)} "
                                  "(start from the template)", row=1)]
    questions: list[Question] = []
    problems: list[FormatProblem] = []
    for number, values in enumerate(rows, 2):
        texts = [_cell_text(value) for value in values]
        if not any(texts):
            continue
        cells = {name: (texts[columns[name]] if name in columns and columns[name] < len(texts)
                        else "") for name in HEADERS}
        try:
            question = _question(cells)
        except _Problem as problem:
            problems.append(FormatProblem(f"row {number}: {problem}", row=number))
            continue
        question.source_line = number
        question.name = question.name or " ".join(question.text.split())[:80]
        found = question_problems(question)
        problems.extend(FormatProblem(f"row {number}: {message}", row=number)
                        for message in found)
        if not found:
            questions.append(question)
    book.close()
    return questions, problems


# Writing ---------------------------------------------------------------------------------


def _option_cell(text: str, weight: float | None, feedback: str) -> str:
    cell = f"{percent_text(weight)}%|{text}" if weight is not None else text
    return f"{cell}\n反馈：{feedback}" if feedback else cell


def _number_cell(answer: Answer) -> str:
    if is_catch_all(answer):
        return "*"
    if answer.low is not None and answer.high is not None:
        return f"{number_text(answer.low)}..{number_text(answer.high)}"
    text = number_text(answer.value or 0.0)
    return f"{text}±{number_text(answer.tolerance)}" if answer.tolerance else text


def _row(q: Question) -> tuple[dict[str, str], list[str]]:
    """The cells of a question, and what of it the template cannot hold."""
    cells = dict.fromkeys(HEADERS, "")
    cells.update({"分类": normalize_category(q.category), "题型": TYPE_NAMES.get(q.type, q.type),
                  "题目名称": q.name, "题干": q.text, "总体反馈": q.general_feedback,
                  "标签": "，".join(q.tags),
                  "分值": "" if q.default_mark == 1.0 else number_text(q.default_mark)})
    options: list[str] = []
    lost: list[str] = []
    if q.type in (SINGLE, MULTIPLE):
        positive = [a.fraction for a in q.answers if a.fraction > 0]
        share = 1.0 / len(positive) if positive else None
        plain = (all(a.fraction in (0.0, share) for a in q.answers)
                 and (q.type == MULTIPLE or len(positive) == 1))
        if plain:
            cells["正确答案"] = "".join(LETTERS[i] for i, a in enumerate(q.answers)
                                      if a.fraction > 0 and i < len(LETTERS))
        options = [_option_cell(a.text, None if plain else a.fraction, a.feedback)
                   for a in q.answers]
    elif q.type == TRUEFALSE:
        cells["正确答案"] = "对" if q.correct else "错"
        cells["反馈"] = q.feedback_false if q.correct else q.feedback_true
        if (q.feedback_true if q.correct else q.feedback_false).strip():
            lost.append("the feedback for a right response")
    elif q.type == SHORTANSWER:
        if all(a.fraction == 1.0 and not a.feedback and "|" not in a.text for a in q.answers):
            cells["正确答案"] = "|".join(a.text for a in q.answers)
        else:
            options = [_option_cell(a.text, None if a.fraction == 1.0 else a.fraction,
                                    a.feedback) for a in q.answers]
    elif q.type == NUMERICAL:
        answers = list(q.answers)
        if answers and is_catch_all(answers[-1]) and answers[-1].fraction == 0.0:
            cells["反馈"] = answers.pop().feedback
        if len(answers) == 1 and answers[0].fraction == 1.0 and not answers[0].feedback:
            cells["正确答案"] = _number_cell(answers[0])
        else:
            options = [_option_cell(_number_cell(a), None if a.fraction == 1.0 else a.fraction,
                                    a.feedback) for a in answers]
    elif q.type == MATCHING:
        options = [f"{p.prompt} -> {p.answer}" for p in q.pairs]
    elif q.type == ORDERING:
        options = list(q.steps)
    if len(options) > len(LETTERS):
        lost.append(f"{len(options)} options (the template has {len(LETTERS)})")
    if q.rubric:
        lost.append("the rubric")
    for header, cell in zip(OPTION_HEADERS, options, strict=False):
        cells[header] = cell
    return cells, lost


def _style_header(sheet, widths: dict[str, int]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E8C")
        cell.alignment = Alignment(vertical="center")
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _workbook(questions: list[Question]):
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for q in questions:
        cells, _lost = _row(q)
        sheet.append([cells[h] or None for h in HEADERS])
    widths = {get_column_letter(i): 16 for i in range(1, len(HEADERS) + 1)}
    widths.update({"A": 20, "B": 8, "C": 18, "D": 40})
    _style_header(sheet, widths)
    kinds = DataValidation(type="list", formula1='"' + ",".join(TYPE_NAMES.values()) + '"',
                           allow_blank=True, showErrorMessage=True,
                           errorTitle="题型", error="请从下拉列表中选择题型")
    sheet.add_data_validation(kinds)
    kinds.add("B2:B2000")
    help_sheet = book.create_sheet(HELP_SHEET)
    help_sheet.append(["列 / 题型", "怎么填"])
    for line in HELP:
        help_sheet.append(list(line))
    _style_header(help_sheet, {"A": 18, "B": 100})
    return book


def dump_xlsx(questions: Iterable[Question]) -> bytes:
    """Write questions in the template; raise ExportProblems for what it cannot hold."""
    questions = list(questions)
    problems = [FormatProblem(f"question {number} ({q.name or q.text[:30]!r}): "
                              f"the template cannot hold {what}")
                for number, q in enumerate(questions, 1) for what in _row(q)[1]]
    if problems:
        raise ExportProblems(problems)
    out = io.BytesIO()
    _workbook(questions).save(out)
    return out.getvalue()


def xlsx_template() -> bytes:
    """The empty template (headers, a 题型 drop-down) with its 填写说明 sheet."""
    out = io.BytesIO()
    _workbook([]).save(out)
    return out.getvalue()


HELP = [
    ("分类", "题目所在的分类，用“/”分层，例如：社保/参保登记。可留空（放在题库顶层）。"),
    ("题型", "从下拉列表选择：单选、多选、判断、填空、数值、匹配、排序、问答。"),
    ("题目名称", "简短的名称，同一分类内不能重复；再次导入时按“分类 + 题目名称”更新原题。"
                 "留空时取题干的开头。"),
    ("题干", "题目正文（必填）。"),
    ("选项A…选项F", "单选/多选的选项，从选项A开始连续填写。需要给某个选项单独的得分比例时写成"
                   "“50%|选项文字”（可为负数，如“-50%|选项文字”）；需要选项反馈时在选项文字后"
                   "换行（Alt+Enter）写“反馈：……”。"),
    ("正确答案", "单选写一个字母，如 B；多选写几个字母，如 ACD（各得相同比例）。也可以不填，"
                 "改在选项里写权重。判断题写“对”或“错”。填空题写可接受的答案，多个用“|”分隔。"
                 "数值题写数字，如 60、60±0.5 或 59..61。"),
    ("反馈", "判断题：答错时显示的反馈。数值题：答错时显示的反馈。其他题型不用此列。"),
    ("总体反馈", "答题后总会显示的解析，可留空。"),
    ("标签", "多个标签用逗号分隔，如：基础，窗口。"),
    ("分值", "这道题的分数，留空为 1。"),
    ("单选", "例：题干“办理参保登记需要什么？”，选项A“身份证”，选项B“结婚证”，正确答案 A。"),
    ("多选", "例：选项A“银行代扣”，选项B“窗口缴纳”，选项C“现金邮寄”，正确答案 AB；"
             "或选项写成“50%|银行代扣”“50%|窗口缴纳”“-100%|现金邮寄”，正确答案留空。"),
    ("判断", "例：题干“领取养老金需要每年认证。”，正确答案“对”。不填选项。"),
    ("填空", "例：正确答案“身份证|居民身份证”。需要部分得分时改用选项：“100%|身份证”“50%|证件”。"),
    ("数值", "例：正确答案“60”；或在选项里写多个：“60”“50%|55..65”。"),
    ("匹配", "每个选项写一对“题目 -> 答案”，如“生育津贴 -> 生育保险”；"
             "只写“ -> 答案”是干扰项。至少两对。"),
    ("排序", "按正确顺序把步骤依次写在选项A、选项B……里，正确答案留空。"),
    ("问答", "只写题干（和总体反馈），由老师按评分标准人工评分。"),
    ("检查", "导入前会检查每一行，问题会标出行号；只要有一处问题，整个文件都不会导入。"),
]
