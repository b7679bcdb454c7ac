"""Course packages as plain files (courses/README.md): parse and validate, build exports.

Reads a curriculum tree (framework.yaml, paths.yaml, one folder per course) or a single
course as a .zip into plain dataclasses, collecting every problem as
``Problem(file, line, message)`` rather than stopping at the first. Lines come from the
YAML nodes' marks, so authors are pointed at the line to fix.

Images are identified by content: each becomes an ``AssetSpec`` with a generated name
(the first 16 hex digits of its SHA-256 and its real type's extension), and lesson
Markdown is rewritten to reference ``images/<name>``. ``build_course_zip`` writes the same
layout back deterministically, so export → import → export is byte-identical.

Pure: no Flask, no database. Messages are English msgids marked with ``N_``; the web and
API layers translate them (``Problem.msgid`` and ``Problem.params``).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import stat
import zipfile
import zlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt

from academy.catalog.activities import N_
from academy.textutil import storable

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE_RE = re.compile(r"^[A-Z0-9_]+$")
SLUG_MAX = 64
SKILL_CODE_MAX = 32
PATH_CODE_MAX = 64
LEVELS = (1, 2, 3, 4)
SKILL_CATEGORIES = ("business", "soft")
# Mirrors academy.org.models (imported there from Flask-SQLAlchemy, so not importable here).
ORG_LEVELS = ("district", "subdistrict", "village")
EMPLOYMENT_TYPES = ("civil_servant", "public_institution", "contract")
WORKER_STATUSES = ("active", "left")
DUE_FROM = ("hire", "assignment")

MAX_ZIP_ENTRIES = 2000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_YAML_BYTES = 1024 * 1024
MAX_LESSON_BYTES = 1024 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGES_DIR = "images"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

# Sniffed image type → (mimetype, extension): the image types lessons may show.
IMAGE_TYPES = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}


# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """Something wrong in a package: the file (relative to the package), line and message."""

    file: str
    line: int | None
    message: str
    msgid: str = field(default="", compare=False, repr=False)
    params: dict[str, Any] = field(default_factory=dict, compare=False, repr=False,
                                   hash=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "(package)")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


def problem(file: str, line: int | None, msgid: str, **params: Any) -> Problem:
    """A Problem whose English message is ``msgid`` formatted with ``params``."""
    return Problem(file, line, msgid % params if params else msgid, msgid, params)


# ---------------------------------------------------------------- specs


@dataclass
class SkillSpec:
    code: str
    name: str
    category: str
    description: str | None
    standard_ref: str | None
    levels: dict[str, str]  # {"1": descriptor, ..., "4": ...}
    position: int


@dataclass
class ProfileSpec:
    code: str
    name: str
    description: str | None
    org_level: str | None
    requirements: dict[str, int]  # skill code → level


@dataclass
class Framework:
    skills: list[SkillSpec] = field(default_factory=list)
    profiles: list[ProfileSpec] = field(default_factory=list)
    # Every skill code the file declares, valid or not (so one bad skill is one problem).
    declared: set[str] = field(default_factory=set)


@dataclass
class AssetSpec:
    name: str
    mime: str
    sha256: str
    data: bytes = field(repr=False)
    file: str = ""  # where the package holds it, for problems


@dataclass
class LessonSpec:
    slug: str
    title: str
    body_md: str


@dataclass
class ModuleSpec:
    slug: str
    title: str
    summary: str | None
    lessons: list[LessonSpec]
    activities: list[dict[str, Any]]
    # What activities bring from other files of the package (a scenario's definition):
    # [{"type", "slug", "title", "file", ...}], stored by the type's own feature on sync.
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    skill: str
    target_level: int
    summary: str | None
    modules: list[ModuleSpec]
    assets: dict[str, AssetSpec]
    file: str  # course.yaml, as problems name it
    slug_line: int = 1
    # The questions of the package's banks/ files (academy.quizzes.spec.Question), which
    # fill the course's question bank, and those files' names.
    questions: list[Any] = field(default_factory=list)
    bank_files: list[str] = field(default_factory=list)


@dataclass
class RuleSpec:
    name: str
    due_from: str
    criteria: dict[str, Any]


@dataclass
class PathSpec:
    code: str
    title: str
    description: str | None
    due_days: int
    modules: list[tuple[str, str]]  # (course slug, module slug), in order
    rules: list[RuleSpec]


@dataclass
class Curriculum:
    framework: Framework | None = None
    courses: list[CourseSpec] = field(default_factory=list)
    paths: list[PathSpec] | None = None


# ---------------------------------------------------------------- files


class Files:
    """Read-only files of a package by relative POSIX path; hidden files are left out."""

    def names(self) -> list[str]:
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def __contains__(self, name: object) -> bool:
        return name in set(self.names())


def _hidden(name: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in name.split("/"))


class DirectoryFiles(Files):
    """The regular files under a directory (symbolic links leaving it are ignored)."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in filenames:
                path = Path(dirpath) / filename
                rel = path.relative_to(self.root).as_posix()
                if _hidden(rel) or not path.is_file():
                    continue
                if not path.resolve().is_relative_to(self.root):
                    continue
                found.append(rel)
        self._names = sorted(found)
        self._set = set(found)

    def names(self) -> list[str]:
        return self._names

    def __contains__(self, name: object) -> bool:
        return name in self._set

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def size(self, name: str) -> int:
        return (self.root / name).stat().st_size


class ZipFiles(Files):
    """The file entries of an (already checked) zip archive."""

    def __init__(self, archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]):
        self.archive = archive
        self.infos = infos

    def names(self) -> list[str]:
        return sorted(self.infos)

    def __contains__(self, name: object) -> bool:
        return name in self.infos

    def read(self, name: str) -> bytes:
        return self.archive.read(self.infos[name])

    def size(self, name: str) -> int:
        return self.infos[name].file_size


class SubFiles(Files):
    """The files of ``parent`` under ``prefix`` (a folder), named relative to it."""

    def __init__(self, parent: Files, prefix: str):
        self.parent = parent
        self.prefix = prefix.rstrip("/") + "/" if prefix else ""
        self._names = [n[len(self.prefix):] for n in parent.names()
                       if n.startswith(self.prefix)]
        self._set = set(self._names)

    def names(self) -> list[str]:
        return self._names

    def __contains__(self, name: object) -> bool:
        return name in self._set

    def read(self, name: str) -> bytes:
        return self.parent.read(self.prefix + name)

    def size(self, name: str) -> int:
        return self.parent.size(self.prefix + name)


READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError,
               RuntimeError, ValueError)


# ---------------------------------------------------------------- YAML with line numbers


class YDict(dict):
    """A YAML mapping that remembers where it and each of its keys and values start."""

    line: int = 1
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.value_lines.get(key, self.line)


class YList(list):
    """A YAML sequence that remembers where it and each item start."""

    line: int = 1
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader, building YDict/YList and noting duplicate keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YDict:
    loader.flatten_mapping(node)
    data = YDict()
    data.line = node.start_mark.line + 1
    data.key_lines, data.value_lines = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark) from None
        if key in data:
            loader.duplicates.append((str(key), key_node.start_mark.line + 1))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1
        data.value_lines[key] = value_node.start_mark.line + 1
    return data


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> YList:
    data = YList(loader.construct_object(child, deep=True) for child in node.value)
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    return data


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


# A value that opens with a quote and goes on after the closing one: `key: "a"b`.
_HALF_QUOTED = re.compile(r"""^\s*(?:-\s+)?[^:#]+:\s+(["'])[^"']*\1\S""")


def load_yaml(data: bytes, file: str) -> tuple[Any, list[Problem]]:
    """Parse a YAML document keeping line numbers; problems name the offending line."""
    if len(data) > MAX_YAML_BYTES:
        return None, [problem(file, None, N_("The file is larger than %(kb)d KB."),
                              kb=MAX_YAML_BYTES // 1024)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [problem(file, None, N_("The file is not UTF-8 text."))]
    loader = _LineLoader(text)
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        line = mark.line + 1 if mark else None
        lines = text.splitlines()
        if line and line <= len(lines) and _HALF_QUOTED.search(lines[line - 1]):
            return None, [problem(file, line, N_(
                "Invalid YAML: %(error)s. A value that starts with a quote must be quoted "
                "as a whole, e.g. summary: '\"好差评\"制度……'."), error=detail or str(exc))]
        return None, [problem(file, line, N_("Invalid YAML: %(error)s."),
                              error=detail or str(exc))]
    except (yaml.YAMLError, RecursionError) as exc:
        return None, [problem(file, None, N_("Invalid YAML: %(error)s."),
                              error=str(exc) or type(exc).__name__)]
    finally:
        loader.dispose()
    problems = [problem(file, line, N_("Duplicate key %(key)s."), key=key)
                for key, line in loader.duplicates]
    return document, problems


# ---------------------------------------------------------------- field checks


class _Check:
    """Reads fields out of YAML mappings of one file, collecting problems."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def add(self, line: int | None, msgid: str, **params: Any) -> None:
        self.problems.append(problem(self.file, line, msgid, **params))

    def mapping(self, value: Any, line: int, key: str) -> YDict | None:
        if isinstance(value, YDict):
            return value
        self.add(line, N_("%(key)s must be a mapping of keys and values."), key=key)
        return None

    def keys(self, data: YDict, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
        for key in required:
            if key not in data:
                self.add(data.line, N_("Missing required key %(key)s."), key=key)
        for key in data:
            if key not in required and key not in optional:
                self.add(data.key_lines.get(key, data.line), N_("Unknown key %(key)s."),
                         key=str(key))

    def text(self, data: YDict, key: str, max_len: int | None = None) -> str | None:
        """A text value (numbers and dates are read as written); None if absent or empty."""
        if key not in data or data[key] is None:
            return None
        value = data[key]
        if isinstance(value, bool | dict | list):
            self.add(data.line_of(key), N_("%(key)s must be text."), key=key)
            return None
        if isinstance(value, date | datetime):
            value = value.isoformat()
        text = str(value).strip()
        if not storable(text):
            self.add(data.line_of(key), N_("%(key)s contains characters that cannot be "
                                           "stored."), key=key)
            return None
        if max_len is not None and len(text) > max_len:
            self.add(data.line_of(key), N_("%(key)s is longer than %(n)d characters."),
                     key=key, n=max_len)
            return None
        return text or None

    def required_text(self, data: YDict, key: str, max_len: int | None = None) -> str | None:
        before = len(self.problems)
        text = self.text(data, key, max_len)
        if text is None and key in data and len(self.problems) == before:
            self.add(data.line_of(key), N_("%(key)s must not be empty."), key=key)
        return text

    def slug(self, data: YDict, key: str = "slug") -> str | None:
        value = self.required_text(data, key)
        if value is None:
            return None
        if not SLUG_RE.fullmatch(value) or len(value) > SLUG_MAX:
            self.add(data.line_of(key), N_("Bad slug %(slug)s: use a–z, 0–9 and '-' (at most "
                                           "%(n)d characters)."), slug=value, n=SLUG_MAX)
            return None
        return value

    def code(self, data: YDict, key: str, max_len: int) -> str | None:
        value = self.required_text(data, key)
        if value is None:
            return None
        if not CODE_RE.fullmatch(value) or len(value) > max_len:
            self.add(data.line_of(key), N_("Bad code %(code)s: use A–Z, 0–9 and '_' (at most "
                                           "%(n)d characters)."), code=value, n=max_len)
            return None
        return value

    def level(self, value: Any, line: int) -> int | None:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or value not in LEVELS:
            self.add(line, N_("Bad level %(level)s: levels are 1 to 4."), level=str(value))
            return None
        return int(value)

    def integer(self, data: YDict, key: str, low: int, high: int) -> int | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(data.line_of(key), N_("%(key)s must be a whole number from %(low)d to "
                                           "%(high)d."), key=key, low=low, high=high)
            return None
        return value

    def choice(self, data: YDict, key: str, choices: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value not in choices:
            self.add(data.line_of(key), N_("%(key)s must be one of %(choices)s."), key=key,
                     choices=", ".join(choices))
            return None
        return value

    def items(self, data: YDict, key: str) -> list[tuple[Any, int]]:
        """The items of a list value with their lines; [] (and a problem) if not a list."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, YList):
            self.add(data.line_of(key), N_("%(key)s must be a list."), key=key)
            return []
        return list(zip(value, value.item_lines, strict=True))


def _plain(value: Any) -> Any:
    """YAML-loaded data as plain JSON-able values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# ---------------------------------------------------------------- framework.yaml


def parse_framework(data: bytes, file: str = "framework.yaml",
                    known_skills: Collection[str] = ()) -> tuple[Framework, list[Problem]]:
    """Skills and window profiles; profile requirements may name ``known_skills`` too."""
    framework = Framework()
    document, problems = load_yaml(data, file)
    if document is None and problems:
        return framework, problems
    check = _Check(file, problems)
    root = check.mapping(document, 1, "framework.yaml")
    if root is None:
        return framework, problems
    check.keys(root, ("skills",), ("profiles",))
    seen: dict[str, int] = {}
    for position, (item, line) in enumerate(check.items(root, "skills")):
        entry = check.mapping(item, line, "skills")
        if entry is None:
            continue
        check.keys(entry, ("code", "name", "category", "levels"),
                   ("standard_ref", "description"))
        code = check.code(entry, "code", SKILL_CODE_MAX)
        if code is not None and code in seen:
            check.add(entry.line_of("code"), N_("Duplicate skill code %(code)s (first on "
                                                "line %(first)d)."), code=code,
                      first=seen[code])
            code = None
        name = check.required_text(entry, "name", 120)
        category = check.choice(entry, "category", SKILL_CATEGORIES) \
            if "category" in entry else None
        levels = _levels(check, entry)
        standard_ref = check.text(entry, "standard_ref", 255)
        description = check.text(entry, "description")
        if code is not None:
            seen[code] = entry.line_of("code")
            framework.declared.add(code)
        if None not in (code, name, category, levels):
            framework.skills.append(SkillSpec(code, name, category, description,
                                              standard_ref, levels, position))
    skill_codes = set(seen) | set(known_skills)
    profile_seen: set[str] = set()
    for item, line in check.items(root, "profiles"):
        entry = check.mapping(item, line, "profiles")
        if entry is None:
            continue
        check.keys(entry, ("code", "name", "requirements"), ("org_level", "description"))
        code = check.code(entry, "code", SKILL_CODE_MAX)
        if code is not None and code in profile_seen:
            check.add(entry.line_of("code"), N_("Duplicate profile code %(code)s."), code=code)
            code = None
        if code is not None:
            profile_seen.add(code)
        name = check.required_text(entry, "name", 120)
        org_level = None
        if entry.get("org_level") is not None:
            org_level = check.choice(entry, "org_level", ORG_LEVELS)
        requirements: dict[str, int] = {}
        raw = entry.get("requirements")
        if "requirements" in entry and not isinstance(raw, YDict):
            check.add(entry.line_of("requirements"), N_("%(key)s must be a mapping of keys "
                                                        "and values."), key="requirements")
        elif isinstance(raw, YDict):
            for skill, level in raw.items():
                key_line = raw.key_lines.get(skill, raw.line)
                if str(skill) not in skill_codes:
                    check.add(key_line, N_("Unknown skill %(code)s."), code=str(skill))
                    continue
                value = check.level(level, raw.line_of(skill))
                if value is not None:
                    requirements[str(skill)] = value
        if code is not None and name is not None:
            framework.profiles.append(ProfileSpec(code, name, check.text(entry, "description"),
                                                  org_level, requirements))
    return framework, problems


def _levels(check: _Check, entry: YDict) -> dict[str, str] | None:
    raw = entry.get("levels")
    if raw is None:
        return None
    if not isinstance(raw, YDict):
        check.add(entry.line_of("levels"), N_("levels must map each level 1–4 to its "
                                              "descriptor."))
        return None
    levels: dict[str, str] = {}
    ok = True
    for key in raw:
        level = check.level(key, raw.key_lines.get(key, raw.line))
        if level is None:
            ok = False
            continue
        text = check.text(raw, key)
        if text is None:
            check.add(raw.line_of(key), N_("Describe level %(level)d."), level=level)
            ok = False
            continue
        levels[str(level)] = text
    missing = [str(level) for level in LEVELS if str(level) not in levels]
    if ok and missing:
        check.add(raw.line, N_("Describe every level 1–4 (missing: %(levels)s)."),
                  levels=", ".join(missing))
        ok = False
    return levels if ok else None


# ---------------------------------------------------------------- lesson Markdown and images


@cache
def _markdown() -> MarkdownIt:
    # As academy.catalog.rendering renders lessons: CommonMark, tables, strikethrough.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def image_sources(markdown: str) -> Iterator[tuple[str, int]]:
    """Each image reference of ``markdown`` (decoded) with its 1-based line."""
    line = 1
    for token in _markdown().parse(markdown):
        if token.map:
            line = token.map[0] + 1
        if token.type != "inline" or not token.children:
            continue
        current = line
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                current += 1
            elif child.type == "image":
                yield unquote(str(child.attrGet("src") or "")), current


_INLINE_IMAGE = re.compile(r"(!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*)(<[^<>\n]*>|[^\s()<>]+)")
_REFERENCE = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^<>\n]*>|\S+)", re.MULTILINE)


def rewrite_image_refs(markdown: str, replace) -> str:
    """``markdown`` with each image destination ``d`` replaced by ``replace(d)`` (if not None).

    ``replace`` gets the decoded destination; reference definitions are rewritten too.
    """

    def substitute(match: re.Match) -> str:
        raw = match.group(2)
        bracketed = raw.startswith("<")
        new = replace(unquote(raw[1:-1] if bracketed else raw))
        if new is None:
            return match.group(0)
        return match.group(1) + (f"<{new}>" if bracketed else new)

    return _REFERENCE.sub(substitute, _INLINE_IMAGE.sub(substitute, markdown))


def sniff_image(data: bytes) -> str | None:
    """The image type the leading bytes announce (a key of IMAGE_TYPES), if any."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def asset_for(data: bytes, file: str = "") -> AssetSpec | None:
    """The asset an image file becomes (generated, content-derived name), or None."""
    kind = sniff_image(data)
    if kind is None:
        return None
    mime, extension = IMAGE_TYPES[kind]
    digest = hashlib.sha256(data).hexdigest()
    return AssetSpec(name=digest[:16] + extension, mime=mime, sha256=digest, data=data,
                     file=file)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _inside(path: str) -> str | None:
    """``path`` normalised, or None when it leaves the package or is absolute."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../") or normal == ".":
        return None
    return normal


# ---------------------------------------------------------------- course.yaml


class _CourseReader:
    def __init__(self, files: Files, display: str, problems: list[Problem]):
        self.files = files
        self.display = display  # prefix of the course's files in problems
        self.problems = problems
        self.assets: dict[str, AssetSpec] = {}
        self._images: dict[str, AssetSpec | None] = {}  # package path → asset (None: bad)
        self._attached: dict[tuple[str, str], str] = {}  # (type, slug) → its file

    def claim(self, attachment: dict[str, Any], check: _Check, line: int) -> bool:
        """Whether ``attachment``'s slug is free in the course (the same file may repeat)."""
        key = (attachment["type"], attachment["slug"])
        other = self._attached.setdefault(key, attachment["file"])
        if other != attachment["file"]:
            check.add(line, N_("Duplicate %(type)s id %(slug)s (also in %(other)s)."),
                      type=key[0], slug=key[1], other=self.where(other))
            return False
        return True

    def where(self, name: str) -> str:
        return self.display + name

    def image(self, path: str, file: str, line: int | None) -> AssetSpec | None:
        """The asset of the image file at ``path``, reporting problems at ``file:line``."""
        if path in self._images:
            return self._images[path]
        asset = None
        if path not in self.files:
            self.problems.append(problem(file, line, N_("Broken image link: %(path)s does "
                                                        "not exist."), path=path))
        elif self.files.size(path) > MAX_IMAGE_BYTES:
            self.problems.append(problem(self.where(path), None, N_(
                "The image is larger than %(mb)d MB."), mb=MAX_IMAGE_BYTES // (1024 * 1024)))
        else:
            try:
                asset = asset_for(self.files.read(path), self.where(path))
            except READ_ERRORS as exc:
                self.problems.append(problem(self.where(path), None,
                                             N_("Cannot read the file: %(error)s."),
                                             error=str(exc)))
            else:
                if asset is None:
                    self.problems.append(problem(self.where(path), None, N_(
                        "Not a PNG, JPEG, GIF or WebP image.")))
        if asset is not None:
            self.assets.setdefault(asset.name, asset)
        self._images[path] = asset
        return asset

    def lesson_body(self, path: str, file: str, line: int) -> str | None:
        if path not in self.files:
            self.problems.append(problem(file, line, N_("Missing lesson file %(path)s."),
                                         path=path))
            return None
        where = self.where(path)
        if self.files.size(path) > MAX_LESSON_BYTES:
            self.problems.append(problem(where, None, N_("The file is larger than %(kb)d KB."),
                                         kb=MAX_LESSON_BYTES // 1024))
            return None
        try:
            text = self.files.read(path).decode("utf-8-sig")
        except UnicodeDecodeError:
            self.problems.append(problem(where, None, N_("The file is not UTF-8 text.")))
            return None
        except READ_ERRORS as exc:
            self.problems.append(problem(where, None, N_("Cannot read the file: %(error)s."),
                                         error=str(exc)))
            return None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not storable(text):
            self.problems.append(problem(where, None, N_("The file contains characters that "
                                                         "cannot be stored.")))
            return None
        return self.link_images(text, path)

    def link_images(self, text: str, path: str) -> str | None:
        """Check the lesson's images and point them at ``images/<generated name>``."""
        where = self.where(path)
        base = posixpath.dirname(path)
        ok = True
        targets: dict[str, str] = {}
        for src, line in image_sources(text):
            target = self._resolve(src, base)
            if src.startswith("//") or _SCHEME.match(src):
                self.problems.append(problem(where, line, N_(
                    "Remote images are not allowed: %(src)s. Put the file in the package."),
                    src=src))
                ok = False
            elif target is None:
                self.problems.append(problem(where, line, N_(
                    "Broken image link: %(src)s is outside the package."), src=src))
                ok = False
            else:
                asset = self.image(target, where, line)
                if asset is None:
                    ok = False
                else:
                    targets[src] = asset.name
        if not ok:
            return None

        def replace(dest: str) -> str | None:
            target = self._resolve(dest, base)
            asset = self._images.get(target) if target else None
            return f"{IMAGES_DIR}/{asset.name}" if asset is not None else None

        body = rewrite_image_refs(text, replace)
        for src, line in image_sources(body):
            name = src.removeprefix(f"{IMAGES_DIR}/")
            if not src.startswith(f"{IMAGES_DIR}/") or name not in self.assets:
                self.problems.append(problem(where, line, N_(
                    "Write the image path %(src)s plainly (no spaces or brackets), e.g. "
                    "../images/flow.png."), src=src))
                ok = False
        return body if ok else None

    @staticmethod
    def _resolve(src: str, base: str) -> str | None:
        path = src.split("#", 1)[0].split("?", 1)[0]
        if not path:
            return None
        return _inside(posixpath.join(base, path) if base else path)


def parse_course(files: Files, *, display: str = "", known_skills: Collection[str] | None = None,
                 ) -> tuple[CourseSpec | None, list[Problem]]:
    """One course folder (``course.yaml`` at its top); ``display`` prefixes file names.

    With ``known_skills`` the course's skill must be one of them.
    """
    problems: list[Problem] = []
    file = display + "course.yaml"
    try:
        data = files.read("course.yaml")
    except READ_ERRORS as exc:
        return None, [problem(file, None, N_("Cannot read the file: %(error)s."),
                              error=str(exc))]
    document, problems = load_yaml(data, file)
    if document is None and problems:
        return None, problems
    check = _Check(file, problems)
    root = check.mapping(document, 1, "course.yaml")
    if root is None:
        return None, problems
    reader = _CourseReader(files, display, problems)
    check.keys(root, ("slug", "title", "skill", "target_level", "modules"), ("summary",))
    slug = check.slug(root)
    title = check.required_text(root, "title", 200)
    skill = check.code(root, "skill", SKILL_CODE_MAX)
    if skill is not None and known_skills is not None and skill not in known_skills:
        check.add(root.line_of("skill"), N_("Unknown skill %(code)s."), code=skill)
    target_level = check.level(root.get("target_level"), root.line_of("target_level")) \
        if "target_level" in root else None
    summary = check.text(root, "summary")
    modules: list[ModuleSpec] = []
    module_slugs: set[str] = set()
    module_items = check.items(root, "modules")
    if "modules" in root and isinstance(root["modules"], YList) and not module_items:
        check.add(root.line_of("modules"), N_("A course needs at least one module."))
    for item, line in module_items:
        entry = check.mapping(item, line, "modules")
        if entry is None:
            continue
        module = _module(check, reader, entry)
        if module is None:
            continue
        if module.slug in module_slugs:
            check.add(entry.line_of("slug"), N_("Duplicate module slug %(slug)s."),
                      slug=module.slug)
            continue
        module_slugs.add(module.slug)
        modules.append(module)
    _image_folder(files, reader)
    before = len(problems)
    bank_files, questions = _banks(files, reader)
    if len(problems) == before:
        _check_draws(modules, questions, reader)
    if problems or None in (slug, title, skill, target_level):
        return None, problems
    assets = dict(sorted(reader.assets.items()))
    return CourseSpec(slug, title, skill, target_level, summary, modules, assets, file,
                      root.line_of("slug"), questions, bank_files), problems


def _module(check: _Check, reader: _CourseReader, entry: YDict) -> ModuleSpec | None:
    check.keys(entry, ("slug", "title", "lessons"), ("summary", "activities"))
    slug = check.slug(entry)
    title = check.required_text(entry, "title", 200)
    summary = check.text(entry, "summary")
    lessons: list[LessonSpec] = []
    lesson_slugs: set[str] = set()
    for item, line in check.items(entry, "lessons"):
        lesson_entry = check.mapping(item, line, "lessons")
        if lesson_entry is None:
            continue
        check.keys(lesson_entry, ("slug", "title", "file"), ())
        lesson_slug = check.slug(lesson_entry)
        lesson_title = check.required_text(lesson_entry, "title", 200)
        file_value = check.required_text(lesson_entry, "file")
        body = None
        if file_value is not None:
            path = _inside(file_value)
            if path is None:
                check.add(lesson_entry.line_of("file"), N_(
                    "The lesson file %(path)s is outside the package."), path=file_value)
            else:
                body = reader.lesson_body(path, check.file, lesson_entry.line_of("file"))
        if lesson_slug is not None and lesson_slug in lesson_slugs:
            check.add(lesson_entry.line_of("slug"), N_(
                "Duplicate lesson slug %(slug)s in module %(module)s."), slug=lesson_slug,
                module=slug or "?")
            continue
        if lesson_slug is not None:
            lesson_slugs.add(lesson_slug)
        if None not in (lesson_slug, lesson_title, body):
            lessons.append(LessonSpec(lesson_slug, lesson_title, body))
    attachments: list[dict[str, Any]] = []
    activities = _activities(check, entry, reader, attachments)
    if None in (slug, title, activities):
        return None
    return ModuleSpec(slug, title, summary, lessons, activities, attachments)


def _activities(check: _Check, entry: YDict, reader: _CourseReader,
                attachments: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    from academy.catalog.activities import ACTIVITY_TYPES

    out: list[dict[str, Any]] = []
    ok = True
    for item, line in check.items(entry, "activities"):
        activity = check.mapping(item, line, "activities")
        if activity is None:
            ok = False
            continue
        kind = ACTIVITY_TYPES.get(activity.get("type")) \
            if isinstance(activity.get("type"), str) else None
        if kind is None:
            check.add(activity.line_of("type"), N_("Unknown activity type %(type)s (known: "
                                                   "%(known)s)."),
                      type=str(activity.get("type")), known=", ".join(sorted(ACTIVITY_TYPES)))
            ok = False
            continue
        before = len(check.problems)
        check.keys(activity, ("type",), kind.keys)
        for issue in kind.validate(activity):
            line_of = activity.line_of(issue.key) if issue.key else activity.line
            check.add(line_of, issue.msgid, **issue.params)
        if len(check.problems) > before:
            ok = False
            continue
        attachment, found = kind.attach(activity, reader.files, reader.where,
                                        (check.file, activity.line))
        check.problems.extend(found)
        if found:
            ok = False
            continue
        if attachment is not None:
            if not reader.claim(attachment, check, activity.line):
                ok = False
                continue
            attachments.append(attachment)
        out.append(_plain(kind.normalise(activity)))
    return out if ok else None


BANKS_DIR = "banks"
BANK_FORMATS = {".gift": "gift", ".txt": "gift", ".xml": "moodle-xml"}


def _banks(files: Files, reader: _CourseReader) -> tuple[list[str], list[Any]]:
    """The questions of every file in ``banks/`` (GIFT or Moodle XML), problems reported
    with the file and line; names must differ within a category across the files."""
    from academy.quizzes.services import read_questions

    names = sorted(name for name in files.names() if name.startswith(BANKS_DIR + "/"))
    questions: list[Any] = []
    seen: dict[tuple[str, str], str] = {}
    for name in names:
        fmt = next((f for ext, f in BANK_FORMATS.items() if name.lower().endswith(ext)), None)
        if fmt is None or name.count("/") != 1:
            reader.problems.append(problem(reader.where(name), None, N_(
                "Files in banks/ must be question files (.gift or Moodle .xml).")))
            continue
        try:
            data = files.read(name)
        except READ_ERRORS as exc:
            reader.problems.append(problem(reader.where(name), None, N_(
                "Cannot read the file: %(error)s."), error=str(exc)))
            continue
        specs, found = read_questions(data, fmt)
        for item in found:
            reader.problems.append(Problem(reader.where(name), item.line or item.row,
                                           item.message))
        if found:
            continue
        for spec in specs:
            key = (spec.category, spec.name)
            if key in seen:
                reader.problems.append(problem(reader.where(name), spec.source_line, N_(
                    "Another question in category %(category)s is already named %(name)s "
                    "(in %(other)s)."), category=spec.category or "/", name=spec.name,
                    other=seen[key]))
                continue
            seen[key] = reader.where(name)
            questions.append(spec)
    return names, questions


def _check_draws(modules: list[ModuleSpec], questions: list[Any],
                 reader: _CourseReader) -> None:
    """Every quiz must be able to fill each draw from the package's questions."""
    from academy.quizzes.settings import QuizSettings, draw_shortfalls

    pool = [(spec.category, list(spec.tags), spec.type) for spec in questions]
    for module in modules:
        for item in module.attachments:
            if item.get("type") != "quiz":
                continue
            settings = QuizSettings.from_dict(item["settings"])
            lines = item.get("draw_lines") or []
            for rule, found in draw_shortfalls(settings, pool):
                index = settings.draw.index(rule)
                reader.problems.append(problem(
                    reader.where(item["file"]), lines[index] if index < len(lines) else None,
                    N_("This draw needs %(n)d questions from %(where)s but the package's "
                       "banks/ have %(found)d."), n=rule.count, where=rule.describe(),
                    found=found))


def _image_folder(files: Files, reader: _CourseReader) -> None:
    """Every file of ``images/`` is an image of the course, used in a lesson or not."""
    for name in files.names():
        if name.startswith(IMAGES_DIR + "/"):
            reader.image(name, reader.where(name), None)


# ---------------------------------------------------------------- paths.yaml


def parse_paths(data: bytes, file: str = "paths.yaml",
                known_modules: Mapping[str, Collection[str]] | None = None,
                ) -> tuple[list[PathSpec], list[Problem]]:
    """Learning paths; each module reference must name a module of ``known_modules``.

    With ``known_modules`` None (some course could not be read) references go unchecked.
    """
    document, problems = load_yaml(data, file)
    paths: list[PathSpec] = []
    if document is None and problems:
        return paths, problems
    check = _Check(file, problems)
    root = check.mapping(document, 1, "paths.yaml")
    if root is None:
        return paths, problems
    check.keys(root, ("paths",), ())
    codes: set[str] = set()
    for item, line in check.items(root, "paths"):
        entry = check.mapping(item, line, "paths")
        if entry is None:
            continue
        check.keys(entry, ("code", "title", "modules"), ("description", "due_days", "rules"))
        code = check.code(entry, "code", PATH_CODE_MAX)
        if code is not None and code in codes:
            check.add(entry.line_of("code"), N_("Duplicate path code %(code)s."), code=code)
            code = None
        if code is not None:
            codes.add(code)
        title = check.required_text(entry, "title", 200)
        due_days = check.integer(entry, "due_days", 1, 3650) if "due_days" in entry else 30
        modules: list[tuple[str, str]] = []
        for ref, ref_line in check.items(entry, "modules"):
            pair = _module_ref(check, ref, ref_line, known_modules)
            if pair is None:
                continue
            if pair in modules:
                check.add(ref_line, N_("Module %(ref)s is listed twice."), ref="/".join(pair))
                continue
            modules.append(pair)
        rules = _rules(check, entry)
        if None not in (code, title, due_days):
            paths.append(PathSpec(code, title, check.text(entry, "description"), due_days,
                                  modules, rules))
    return paths, problems


def _module_ref(check: _Check, ref: Any, line: int,
                known_modules: Mapping[str, Collection[str]] | None) -> tuple[str, str] | None:
    if not isinstance(ref, str) or ref.count("/") != 1:
        check.add(line, N_("Name a module as course-slug/module-slug, not %(ref)s."),
                  ref=str(ref))
        return None
    course, module = (part.strip() for part in ref.split("/"))
    if known_modules is None:
        return course, module
    if course not in known_modules:
        check.add(line, N_("Unknown course %(course)s in %(ref)s."), course=course, ref=ref)
        return None
    if module not in known_modules[course]:
        check.add(line, N_("Course %(course)s has no module %(module)s."), course=course,
                  module=module)
        return None
    return course, module


def _rules(check: _Check, entry: YDict) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    names: set[str] = set()
    for item, line in check.items(entry, "rules"):
        rule = check.mapping(item, line, "rules")
        if rule is None:
            continue
        check.keys(rule, ("name", "criteria"), ("due_from",))
        name = check.required_text(rule, "name", 200)
        if name is not None and name in names:
            check.add(rule.line_of("name"), N_("Duplicate rule name %(name)s."), name=name)
            name = None
        if name is not None:
            names.add(name)
        due_from = check.choice(rule, "due_from", DUE_FROM) if "due_from" in rule \
            else "assignment"
        criteria = _criteria(check, rule)
        if None not in (name, due_from, criteria):
            rules.append(RuleSpec(name, due_from, criteria))
    return rules


CRITERIA_CHOICES = {"employment_type": EMPLOYMENT_TYPES, "org_level": ORG_LEVELS,
                    "status": WORKER_STATUSES}
CRITERIA_TEXT = ("org_unit", "post")


def _criteria(check: _Check, rule: YDict) -> dict[str, Any] | None:
    raw = rule.get("criteria")
    if raw is None:
        return None
    if not isinstance(raw, YDict):
        check.add(rule.line_of("criteria"), N_("%(key)s must be a mapping of keys and "
                                               "values."), key="criteria")
        return None
    before = len(check.problems)
    criteria: dict[str, Any] = {}
    allowed = (*CRITERIA_CHOICES, "hired_within_days", *CRITERIA_TEXT)
    check.keys(raw, (), allowed)
    for key in raw:
        if key in CRITERIA_CHOICES:
            criteria[key] = check.choice(raw, key, CRITERIA_CHOICES[key])
        elif key == "hired_within_days":
            criteria[key] = check.integer(raw, key, 1, 36500)
        elif key in CRITERIA_TEXT:
            criteria[key] = check.required_text(raw, key, 64)
    return criteria if len(check.problems) == before else None


# ---------------------------------------------------------------- a whole tree


def parse_curriculum(root: Path, *, known_skills: Collection[str] = (),
                     known_modules: Mapping[str, Collection[str]] | None = None,
                     ) -> tuple[Curriculum, list[Problem]]:
    """A curriculum folder: optional framework.yaml and paths.yaml, one folder per course.

    A folder with a course.yaml of its own is read as a one-course tree. ``known_skills``
    and ``known_modules`` (course slug → module slugs) describe what already exists
    beyond the tree; the tree's own skills and courses take precedence.
    """
    files = DirectoryFiles(root)
    problems: list[Problem] = []
    curriculum = Curriculum()
    skills = set(known_skills)
    if "framework.yaml" in files:
        framework, found = parse_framework(_read_or_problem(files, "framework.yaml", problems),
                                           known_skills=known_skills)
        problems += found
        curriculum.framework = framework
        skills |= framework.declared
    if "course.yaml" in files:
        course_dirs = [""]
    else:
        course_dirs = sorted({name.split("/", 1)[0] for name in files.names()
                              if name.count("/") == 1 and name.endswith("/course.yaml")})
    slugs: dict[str, str] = {}
    unreadable = False
    for folder in course_dirs:
        prefix = f"{folder}/" if folder else ""
        spec, found = parse_course(SubFiles(files, folder), display=prefix,
                                   known_skills=skills)
        problems += found
        if spec is None:
            unreadable = True
            continue
        if spec.slug in slugs:
            problems.append(problem(spec.file, spec.slug_line, N_(
                "Duplicate course slug %(slug)s (also in %(other)s)."), slug=spec.slug,
                other=slugs[spec.slug]))
            unreadable = True
            continue
        slugs[spec.slug] = spec.file
        curriculum.courses.append(spec)
    if "paths.yaml" in files:
        modules = {slug: set(mods) for slug, mods in (known_modules or {}).items()}
        modules.update({c.slug: {m.slug for m in c.modules} for c in curriculum.courses})
        paths, found = parse_paths(_read_or_problem(files, "paths.yaml", problems),
                                   known_modules=None if unreadable else modules)
        problems += found
        curriculum.paths = paths
    return curriculum, problems


def _read_or_problem(files: Files, name: str, problems: list[Problem]) -> bytes:
    try:
        return files.read(name)
    except READ_ERRORS as exc:
        problems.append(problem(name, None, N_("Cannot read the file: %(error)s."),
                                error=str(exc)))
        return b""


# ---------------------------------------------------------------- zip archives


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return (name.startswith("/") or "\\" in name or "\x00" in name
            or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts)


def open_zip(data: bytes) -> tuple[ZipFiles | None, list[Problem]]:
    """The archive's files, refusing unsafe or oversized archives (nothing is extracted)."""
    refused = problem("", None, N_("This is not a .zip file."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos_list = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError):
        return None, [refused]
    problems: list[Problem] = []
    if len(infos_list) > MAX_ZIP_ENTRIES:
        return None, [problem("", None, N_("The archive has more than %(n)d files."),
                              n=MAX_ZIP_ENTRIES)]
    if sum(info.file_size for info in infos_list) > MAX_UNCOMPRESSED:
        return None, [problem("", None, N_("The archive unpacks to more than %(mb)d MB."),
                              mb=MAX_UNCOMPRESSED // (1024 * 1024))]
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in infos_list:
        name = info.filename
        if _unsafe(name):
            problems.append(problem(name, None, N_("Unsafe path in the archive: refused.")))
            continue
        if info.is_dir() or _hidden(name):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(problem(name, None, N_("Symbolic links are not allowed.")))
            continue
        if info.flag_bits & 0x1:
            problems.append(problem(name, None, N_("Encrypted files are not allowed.")))
            continue
        if name in infos:
            problems.append(problem(name, None, N_("The archive holds this file twice.")))
            continue
        infos[name] = info
    if problems:
        return None, problems
    return ZipFiles(archive, infos), []


def parse_course_zip(data: bytes, *, known_skills: Collection[str] | None = None,
                     ) -> tuple[CourseSpec | None, list[Problem]]:
    """A course package as a .zip: course.yaml at the top, or in its single top folder."""
    files, problems = open_zip(data)
    if files is None:
        return None, problems
    names = files.names()
    prefix = ""
    if "course.yaml" not in files:
        tops = {name.split("/", 1)[0] for name in names}
        if len(tops) == 1 and f"{next(iter(tops))}/course.yaml" in files:
            prefix = next(iter(tops))
        else:
            return None, [problem("course.yaml", None, N_(
                "course.yaml is missing: put it at the top of the archive."))]
    return parse_course(SubFiles(files, prefix) if prefix else files, display="",
                        known_skills=known_skills)


# ---------------------------------------------------------------- export


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line text as literal blocks, so exports read like the sources."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(document: Any) -> bytes:
    """YAML as exports write it: key order kept, UTF-8, stable across runs."""
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100, indent=2)
    return text.encode("utf-8")


def lesson_file(module_slug: str, index: int, lesson_slug: str) -> str:
    return f"{module_slug}/{index:02d}-{lesson_slug}.md"


def _export_image_ref(names: Collection[str]):
    """Image destinations naming a course image → ``../images/<name>`` (lesson-relative)."""

    def replace(dest: str) -> str | None:
        ref = dest.strip()
        while ref.startswith(("./", "../")):
            ref = ref.split("/", 1)[1]
        name = ref.removeprefix(f"{IMAGES_DIR}/")
        if ref.startswith(f"{IMAGES_DIR}/") and name in names:
            return f"../{IMAGES_DIR}/{name}"
        return None

    return replace


def build_course_zip(slug: str, snapshot: Mapping[str, Any],
                     images: Mapping[str, bytes],
                     files: Mapping[str, bytes] | None = None) -> bytes:
    """A published version (its snapshot) and its images as a deterministic course package.

    ``files`` are further package files by path (the scenario files activities name).

    Entries are sorted, timestamps fixed and permissions constant, so the same snapshot
    always gives the same bytes.
    """
    entries: dict[str, bytes] = {}
    modules = []
    replace = _export_image_ref(set(images))
    for module in snapshot.get("modules", []):
        lessons = []
        for index, lesson in enumerate(module.get("lessons", []), start=1):
            path = lesson_file(module["slug"], index, lesson["slug"])
            entries[path] = rewrite_image_refs(lesson.get("body_md") or "",
                                               replace).encode("utf-8")
            lessons.append({"slug": lesson["slug"], "title": lesson["title"], "file": path})
        entry: dict[str, Any] = {"slug": module["slug"], "title": module["title"]}
        if module.get("summary"):
            entry["summary"] = module["summary"]
        entry["lessons"] = lessons
        entry["activities"] = list(module.get("activities") or [])
        modules.append(entry)
    course: dict[str, Any] = {"slug": slug, "title": snapshot["title"],
                              "skill": snapshot["skill"],
                              "target_level": snapshot["target_level"]}
    if snapshot.get("summary"):
        course["summary"] = snapshot["summary"]
    course["modules"] = modules
    entries["course.yaml"] = dump_yaml(course)
    for name, data in images.items():
        entries[f"{IMAGES_DIR}/{name}"] = data
    for name, data in (files or {}).items():
        entries.setdefault(name, data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=9)
    return buffer.getvalue()
