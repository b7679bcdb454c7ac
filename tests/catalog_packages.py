"""Small course packages for the catalogue tests, written to a folder or zipped in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path


def png(pixel: bytes = b"\x00\x00\x00") -> bytes:
    """A valid 1×1 RGB PNG of the given colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" + pixel)) + chunk(b"IEND", b""))


FRAMEWORK = """\
skills:
  - code: SOCIAL_SECURITY
    name: 社会保险业务
    category: business
    standard_ref: "DB42/T 2327—2024"
    description: 城乡居民养老保险参保登记
    levels:
      1: 入门
      2: 合格
      3: 熟练
      4: 带教
  - code: ETIQUETTE
    name: 服务礼仪
    category: soft
    levels:
      1: 入门
      2: 合格
      3: 熟练
      4: 带教
profiles:
  - code: ALL_WINDOW
    name: 全科窗口
    org_level: subdistrict
    requirements:
      SOCIAL_SECURITY: 2
      ETIQUETTE: 2
"""

PATHS = """\
paths:
  - code: ONBOARDING
    title: 岗前培训
    due_days: 30
    modules:
      - social-security/pension
      - etiquette/reception
    rules:
      - name: 新入职劳务派遣人员
        due_from: hire
        criteria: {employment_type: contract, hired_within_days: 90, status: active}
"""


def course_yaml(slug: str = "social-security", skill: str = "SOCIAL_SECURITY",
                module: str = "pension") -> str:
    return f"""\
slug: {slug}
title: 课程 {slug}
skill: {skill}
target_level: 2
summary: 示例教材
modules:
  - slug: {module}
    title: 城乡居民养老保险参保登记
    summary: 参保登记
    lessons:
      - slug: what-it-is
        title: 这是什么业务
        file: {module}/01-what-it-is.md
      - slug: who-may-apply
        title: 谁可以办理
        file: {module}/02-who-may-apply.md
    activities:
      - type: reading
        minutes: 20
  - slug: card
    title: 社保卡
    lessons:
      - slug: apply
        title: 申领
        file: card/01-apply.md
    activities: []
"""


def course_files(slug: str = "social-security", skill: str = "SOCIAL_SECURITY",
                 module: str = "pension") -> dict[str, str | bytes]:
    """The files of one course, relative to its folder."""
    return {
        "course.yaml": course_yaml(slug, skill, module),
        f"{module}/01-what-it-is.md": "# 这是什么业务\n\n办理流程如下：\n\n"
                                      "![流程](../images/flow.png)\n",
        f"{module}/02-who-may-apply.md": "| 条件 | 说明 |\n|---|---|\n| 年满16周岁 | 是 |\n",
        "card/01-apply.md": "申领社保卡。\n",
        "images/flow.png": png(),
    }


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


def write_tree(root: Path, *, paths: bool = True) -> Path:
    """A curriculum: the framework, two courses and a learning path."""
    files: dict[str, str | bytes] = {"framework.yaml": FRAMEWORK}
    if paths:
        files["paths.yaml"] = PATHS
    for name, content in course_files().items():
        files[f"social-security/{name}"] = content
    for name, content in course_files("etiquette", "ETIQUETTE", "reception").items():
        files[f"etiquette/{name}"] = content
    return write_files(root, files)


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()
