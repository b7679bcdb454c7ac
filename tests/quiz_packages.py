"""A course package with a question bank and a quiz, imported through the real loader."""

from __future__ import annotations

from sqlalchemy import select

from academy.catalog.models import Skill
from academy.extensions import db
from tests.catalog_packages import course_files, make_zip

CATEGORY = "城乡居民养老保险参保登记"

BANK = f"""\
$CATEGORY: {CATEGORY}

::参保对象::城乡居民养老保险面向哪些人？{{
  =年满16周岁、不属于职工基本养老保险覆盖范围的城乡居民#对，这是参保条件。
  ~所有在职职工#在职职工参加的是职工基本养老保险。
  ~只有农村居民#城镇居民同样可以参加。
}}

::材料::参保登记时窗口要核验哪些材料？{{
  ~%50%居民身份证#身份证是必须核验的。
  ~%50%户口簿#户口簿用来核对户籍。
  ~%-100%结婚证#与参保登记无关。
}}

::一次性告知::材料不全时，应当一次性告知群众需补正的全部材料。{{T#这就是一次性告知制度。####一次讲清，不让群众多跑。}}

::业务名称::写出“社保卡”的全称。{{=社会保障卡 =社会保障卡片}}

::窗口号::咨询台引导群众到几号窗口？（示例：3）{{#3:0}}

::配对::把业务与窗口配对。{{
  =养老保险参保 -> 社保窗口
  =居住证 -> 户政窗口
  =公积金提取 -> 公积金窗口
}}

::解释::请写出你会怎样向群众解释参保登记的流程。{{}}
"""

QUIZ = f"""\
slug: pension-check
title: 参保登记小测
intro: 共 {{n}} 题。
draw:
  - category: {CATEGORY}
    count: 4
time_limit: 20
pass_mark: 60
max_attempts: 3
grading: highest
review: feedback
"""


def quiz_course_files(quiz: str = QUIZ, bank: str = BANK, *, essay: bool = False,
                      ) -> dict[str, str | bytes]:
    """The test course of catalog_packages with a bank and a quiz on its first module."""
    files = course_files()
    files["course.yaml"] = files["course.yaml"].replace(
        "      - type: reading\n        minutes: 20\n",
        "      - type: reading\n        minutes: 20\n"
        "      - {type: quiz, file: quizzes/pension.yaml}\n")
    if not essay:
        bank = bank.replace("::解释::请写出你会怎样向群众解释参保登记的流程。{}\n", "")
    files["banks/social-security.gift"] = bank
    files["quizzes/pension.yaml"] = quiz
    return files


def ensure_skill() -> Skill:
    skill = db.session.scalar(select(Skill).where(Skill.code == "SOCIAL_SECURITY"))
    if skill is None:
        skill = Skill(code="SOCIAL_SECURITY", name="社会保险业务", category="business",
                      level_descriptors={str(n): f"L{n}" for n in range(1, 5)})
        db.session.add(skill)
        db.session.flush()
    return skill


def import_quiz_course(quiz: str = QUIZ, bank: str = BANK, *, essay: bool = False):
    """Import the package (the skill is created if missing); returns the Quiz (committed)."""
    from academy.catalog.services import import_course_zip
    from academy.quizzes.models import Quiz

    ensure_skill()
    outcome, problems = import_course_zip(make_zip(quiz_course_files(quiz, bank, essay=essay)),
                                          user=None)
    assert not problems, [str(p) for p in problems]
    db.session.commit()
    return db.session.scalar(select(Quiz).where(Quiz.slug == "pension-check"))
