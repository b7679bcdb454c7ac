"""Question banks and question files for the quiz tests."""

from __future__ import annotations

from academy.catalog.models import Skill
from academy.extensions import db
from academy.quizzes import services

GIFT_FILE = """\
$CATEGORY: 社保/参保登记

// [tag:基础] [tag:窗口]
::参保材料::办理城乡居民参保登记需要提供什么？{
\t=身份证#对，身份证是必需的。
\t~结婚证
\t~房产证
\t####以身份证为准。
}

::缴费方式::下列哪些是缴费方式？{
\t~%50%银行代扣
\t~%50%窗口缴纳
\t~%-100%现金邮寄
}

$CATEGORY: 社保/待遇领取

::资格认证::领取养老金需要每年认证。{TRUE#每年都要认证。}

::领取年龄::男职工的法定退休年龄是多少岁？{#60}

::窗口服务::简述窗口首问负责制。{}
"""

# Line 9: an answer without "=", "~" or "#" (GIFT would guess; we report it).
GIFT_WITH_ERROR = """\
$CATEGORY: 社保

::一::第一题{
\t=对
\t~错
}

::二::第二题{
\t对
\t~错
}
"""

MOODLE_XML_FILE = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/医保</text></category></question>
  <question type="ordering">
    <name><text>报销步骤</text></name>
    <questiontext format="plain_text"><text>请排列报销步骤。</text></questiontext>
    <answer fraction="1"><text>提交材料</text></answer>
    <answer fraction="2"><text>审核</text></answer>
    <answer fraction="3"><text>拨付</text></answer>
  </question>
  <question type="matching">
    <name><text>对应险种</text></name>
    <questiontext format="moodle_auto_format"><text>把业务和险种对应起来。</text></questiontext>
    <subquestion><text>生育津贴</text><answer><text>生育保险</text></answer></subquestion>
    <subquestion><text>门诊报销</text><answer><text>医疗保险</text></answer></subquestion>
  </question>
</quiz>
"""


def make_skill(code: str = "SOCIAL", name: str = "社保业务") -> Skill:
    skill = Skill(code=code, name=name, category="business", level_descriptors={})
    db.session.add(skill)
    db.session.flush()
    return skill


def make_bank(code: str = "SOCIAL-1", skill: Skill | None = None, title: str = "社保题库"):
    bank = services.create_bank(code=code, title=title, skill=skill or make_skill())
    db.session.commit()
    return bank
