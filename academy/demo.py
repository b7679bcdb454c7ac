"""The demo district 丰澜区 (fictional): org tree, ~600 staff records and five sign-ins.

``build_demo`` is the body of ``flask academy demo``. The whole district is planned from
the seed first (so the plan never depends on what the database already holds), then only
the missing parts are written: units by code, staff by employee number, accounts by
username. Existing rows are never touched and existing passwords are never reset, so a
second run changes nothing. It commits once at the end, like any CLI command.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from academy.audit.services import record
from academy.auth.services import create_user, get_user_by_username
from academy.extensions import db
from academy.org.models import EmploymentType, OrgLevel, OrgUnit, Worker, WorkerEvent, WorkerStatus
from academy.org.services import create_unit, get_unit_by_code, get_worker

DEMO_PASSWORD = "academy-demo"  # noqa: S105 - the published password of the demo accounts
EMPLOYEE_PREFIX = "FL"

DISTRICT = ("D01", "丰澜区")
# (code, centre name, station names): 街道 centres serve 社区, 镇 centres serve 村.
CENTRES: list[tuple[str, str, list[str]]] = [
    ("S01", "澜湾街道便民服务中心", ["桃源社区", "柳岸社区", "新河社区", "枫林社区", "滨湖社区"]),
    ("S02", "锦城街道便民服务中心",
     ["锦绣社区", "文昌社区", "南门社区", "梧桐社区", "春晖社区", "和平社区"]),
    ("S03", "望江街道便民服务中心", ["江畔社区", "望月社区", "朝阳社区", "金沙社区"]),
    ("S04", "东溪镇便民服务中心", ["东溪村", "石桥村", "杏花村", "龙泉村", "上林村"]),
    ("S05", "白塔镇便民服务中心", ["白塔村", "松林村", "双井村", "荷塘村", "青石村", "长乐村"]),
    ("S06", "清水镇便民服务中心", ["清水村", "梅园村", "云台村", "三里村"]),
]

LABOUR_COMPANIES = [
    "丰澜众信人力资源服务有限公司",
    "丰澜安泰人力资源服务有限公司",
    "澜江启航人力资源服务有限公司",
]

# Common surnames, roughly by frequency (the first ones are drawn more often).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛"
)
GIVEN_FEMALE = "婷丽娟敏静燕芳霞雪倩颖琳欣怡佳慧璐晶萍红梅玲丹雯莉悦诗梦晓月瑶洁琴蕾"
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳峰毅诚睿"
GIVEN_ANY = "文思子嘉雨晨一可志家秀海春建国"

POSTS = {
    OrgLevel.DISTRICT: {
        "综合窗口": 30, "社保窗口": 8, "医保窗口": 8, "户籍窗口": 6, "民政窗口": 5,
        "不动产窗口": 10, "公积金窗口": 6, "企业开办窗口": 8, "帮办代办": 6, "大厅引导": 6,
    },
    OrgLevel.SUBDISTRICT: {
        "综合窗口": 40, "社保窗口": 10, "医保窗口": 10, "户籍窗口": 6, "民政窗口": 8,
        "企业开办窗口": 4, "帮办代办": 8, "大厅引导": 6,
    },
    OrgLevel.VILLAGE: {"综合窗口": 60, "帮办代办": 20, "民政窗口": 10, "社保窗口": 10},
}
EMPLOYMENT = {
    OrgLevel.DISTRICT: {EmploymentType.CIVIL_SERVANT: 30, EmploymentType.PUBLIC_INSTITUTION: 30,
                        EmploymentType.CONTRACT: 40},
    OrgLevel.SUBDISTRICT: {EmploymentType.CIVIL_SERVANT: 15,
                           EmploymentType.PUBLIC_INSTITUTION: 25, EmploymentType.CONTRACT: 60},
    OrgLevel.VILLAGE: {EmploymentType.PUBLIC_INSTITUTION: 10, EmploymentType.CONTRACT: 90},
}
STAFF_RANGE = {OrgLevel.DISTRICT: (66, 76), OrgLevel.SUBDISTRICT: (55, 68),
               OrgLevel.VILLAGE: (4, 7)}
LEAVE_REASONS = {
    EmploymentType.CONTRACT: {"合同到期": 30, "个人原因": 30, "考取公务员": 15,
                              "考取事业单位": 10, "家庭原因": 10, "升学深造": 5},
    EmploymentType.CIVIL_SERVANT: {"工作调动": 60, "岗位交流": 25, "个人原因": 15},
    EmploymentType.PUBLIC_INSTITUTION: {"工作调动": 50, "岗位交流": 25, "个人原因": 25},
}
LEAVE_SHARE = 0.055
YEARS_OF_HIRING = 6


@dataclass
class PlannedUnit:
    code: str
    name: str
    level: OrgLevel
    parent_code: str | None


@dataclass
class PlannedWorker:
    employee_no: str
    name: str
    unit_code: str
    employment_type: EmploymentType
    employer: str | None
    hire_date: date
    post: str
    leave_date: date | None = None
    leave_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.leave_date is None


@dataclass
class PlannedAccount:
    username: str
    roles: set[str]
    unit_code: str
    display_name: str
    employee_no: str | None


@dataclass
class DemoPlan:
    units: list[PlannedUnit]
    workers: list[PlannedWorker]
    accounts: list[PlannedAccount]


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person_name(rng: random.Random) -> str:
    # Surnames follow a steep frequency curve; window staff are mostly women.
    surname = SURNAMES[min(int(rng.expovariate(1 / 14)), len(SURNAMES) - 1)]
    pool = GIVEN_FEMALE if rng.random() < 0.7 else GIVEN_MALE
    if rng.random() < 0.3:
        return surname + rng.choice(pool)
    return surname + rng.choice(GIVEN_ANY + pool) + rng.choice(pool)


def _plan_workers(rng: random.Random, units: list[PlannedUnit], today: date) -> list[PlannedWorker]:
    workers: list[PlannedWorker] = []
    span = YEARS_OF_HIRING * 365
    centre_company: dict[str, str] = {}
    for index, (code, _name, _stations) in enumerate(CENTRES):
        centre_company[code] = LABOUR_COMPANIES[index % len(LABOUR_COMPANIES)]
    for unit in units:
        low, high = STAFF_RANGE[unit.level]
        centre = unit.code.split("-")[0]
        for _ in range(rng.randint(low, high)):
            etype = _weighted(rng, EMPLOYMENT[unit.level])
            if etype == EmploymentType.CONTRACT:
                # High turnover: contract hires skew towards recent years.
                days_ago = int(rng.triangular(0, span, 0))
                usual = centre_company.get(centre, LABOUR_COMPANIES[0])
                employer = usual if rng.random() < 0.8 else rng.choice(LABOUR_COMPANIES)
            else:
                days_ago = rng.randint(0, span)
                employer = None
            hire = today - timedelta(days=days_ago)
            worker = PlannedWorker(
                employee_no=f"{EMPLOYEE_PREFIX}{len(workers) + 1:05d}",
                name=_person_name(rng), unit_code=unit.code, employment_type=etype,
                employer=employer, hire_date=hire, post=_weighted(rng, POSTS[unit.level]),
            )
            if days_ago > 90 and rng.random() < LEAVE_SHARE:
                worker.leave_date = hire + timedelta(days=rng.randint(60, days_ago))
                worker.leave_reason = _weighted(rng, LEAVE_REASONS[etype])
            workers.append(worker)
    return workers


def _pick(workers: list[PlannedWorker], taken: set[str], *, unit_prefixes: list[str],
          types: list[EmploymentType], newest: bool = False) -> PlannedWorker:
    """The senior (or newest) active worker of the first unit/type combination that has one."""
    for prefix in unit_prefixes:
        for etype in types:
            found = [w for w in workers if w.active and w.employee_no not in taken
                     and w.employment_type == etype
                     and (w.unit_code == prefix or w.unit_code.startswith(prefix + "-"))]
            if found:
                found.sort(key=lambda w: (w.hire_date, w.employee_no), reverse=newest)
                taken.add(found[0].employee_no)
                return found[0]
    raise LookupError("the demo plan has no suitable worker")  # the seed ranges rule this out


def plan_demo(seed: int, today: date | None = None) -> DemoPlan:
    """The complete demo district for ``seed``, as plain data (no database)."""
    rng = random.Random(seed)
    today = today or date.today()
    district_code, district_name = DISTRICT
    units = [PlannedUnit(district_code, district_name, OrgLevel.DISTRICT, None)]
    for code, name, stations in CENTRES:
        units.append(PlannedUnit(code, name, OrgLevel.SUBDISTRICT, district_code))
        for number, station in enumerate(stations, start=1):
            units.append(PlannedUnit(f"{code}-V{number:02d}", station + "便民服务站",
                                     OrgLevel.VILLAGE, code))
    workers = _plan_workers(rng, units, today)

    civil, public, contract = (EmploymentType.CIVIL_SERVANT, EmploymentType.PUBLIC_INSTITUTION,
                               EmploymentType.CONTRACT)
    taken: set[str] = set()
    admin = _pick(workers, taken, unit_prefixes=[district_code], types=[civil, public])
    instructor = _pick(workers, taken, unit_prefixes=[district_code, "S01"],
                       types=[public, civil])
    admin_s01 = _pick(workers, taken, unit_prefixes=["S01"], types=[civil, public])
    trainee = _pick(workers, taken, unit_prefixes=["S01-V01", "S01", "S02"], types=[contract],
                    newest=True)
    accounts = [
        PlannedAccount("admin", {"admin", "instructor"}, district_code, admin.name,
                       admin.employee_no),
        PlannedAccount("instructor", {"instructor"}, instructor.unit_code, instructor.name,
                       instructor.employee_no),
        PlannedAccount("assessor", {"assessor"}, district_code, "第三方测评员", None),
        PlannedAccount("trainee", {"trainee"}, trainee.unit_code, trainee.name,
                       trainee.employee_no),
        PlannedAccount("admin-s01", {"admin"}, "S01", admin_s01.name, admin_s01.employee_no),
    ]
    return DemoPlan(units=units, workers=workers, accounts=accounts)


def _ensure_units(plan: DemoPlan) -> tuple[dict[str, OrgUnit], int]:
    units: dict[str, OrgUnit] = {}
    created = 0
    for planned in plan.units:
        unit = get_unit_by_code(planned.code)
        if unit is None:
            parent = units[planned.parent_code] if planned.parent_code else None
            unit = create_unit(code=planned.code, name=planned.name, level=planned.level.value,
                               parent=parent)
            created += 1
        units[planned.code] = unit
    return units, created


def _ensure_workers(plan: DemoPlan, units: dict[str, OrgUnit]) -> int:
    numbers = [w.employee_no for w in plan.workers]
    existing = set(db.session.scalars(select(Worker.employee_no)
                                      .where(Worker.employee_no.in_(numbers))))
    missing = [w for w in plan.workers if w.employee_no not in existing]
    if not missing:
        return 0
    # Bulk inserts: 600 ORM objects one by one would take seconds.
    db.session.execute(insert(Worker), [
        {
            "employee_no": w.employee_no, "name": w.name, "org_unit_id": units[w.unit_code].id,
            "employment_type": w.employment_type, "employer": w.employer,
            "hire_date": w.hire_date, "post": w.post,
            "status": WorkerStatus.ACTIVE if w.active else WorkerStatus.LEFT,
            "leave_date": w.leave_date, "leave_reason": w.leave_reason,
        }
        for w in missing
    ])
    ids = dict(db.session.execute(
        select(Worker.employee_no, Worker.id)
        .where(Worker.employee_no.in_([w.employee_no for w in missing]))
    ).all())
    events: list[dict[str, Any]] = []
    for w in missing:
        events.append({"worker_id": ids[w.employee_no], "kind": "hired", "on_date": w.hire_date})
        if not w.active:
            events.append({"worker_id": ids[w.employee_no], "kind": "left",
                           "on_date": w.leave_date, "detail": w.leave_reason})
    db.session.execute(insert(WorkerEvent), events)
    return len(missing)


def _ensure_accounts(plan: DemoPlan, units: dict[str, OrgUnit]) -> list[str]:
    created: list[str] = []
    for planned in plan.accounts:
        if get_user_by_username(planned.username) is not None:
            continue  # never touch an existing account, least of all its password
        worker = get_worker(planned.employee_no) if planned.employee_no else None
        if worker is not None and (worker.account is not None
                                   or worker.status != WorkerStatus.ACTIVE):
            worker = None  # the record was changed since; the sign-in still works without it
        create_user(username=planned.username, display_name=planned.display_name,
                    org_unit=units[planned.unit_code], roles=planned.roles,
                    password=DEMO_PASSWORD, worker=worker)
        created.append(planned.username)
    return created


def build_demo(seed: int) -> list[str]:
    """Create whatever is missing of the demo district; returns summary lines."""
    plan = plan_demo(seed)
    district_code, district_name = DISTRICT
    try:
        units, new_units = _ensure_units(plan)
        db.session.flush()
        new_workers = _ensure_workers(plan, units)
        new_accounts = _ensure_accounts(plan, units)
        db.session.flush()
        learning = _ensure_learning(seed)
        observing = _ensure_observations(seed, units)
        if not (new_units or new_workers or new_accounts or learning.changed
                or observing.changed):
            db.session.rollback()
            return [f"Demo district {district_name} ({district_code}) is already complete: "
                    "nothing changed.", *learning.hints, *observing.hints]
        district = units[district_code]
        record("demo_built", target_type="org_unit", target_id=district_code,
               target_label=district_name, org_path=district.path,
               after={"org_units": new_units, "workers": new_workers,
                      "accounts": new_accounts, "seed": seed, **learning.counts,
                      **observing.counts})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    left = sum(1 for w in plan.workers if not w.active)
    lines = [
        f"Demo district {district_name} ({district_code}): created {new_units} org units, "
        f"{new_workers} staff records, {len(new_accounts)} accounts.",
        f"The plan: {len(plan.units)} org units, {len(plan.workers)} staff "
        f"({left} of them have left).",
    ]
    if new_accounts:
        lines.append(f"New accounts (password {DEMO_PASSWORD}): " + ", ".join(new_accounts))
    return lines + learning.lines + learning.hints + observing.lines + observing.hints


# ---------------------------------------------------------------- learning


@dataclass
class LearningOutcome:
    counts: dict[str, int]
    lines: list[str]
    hints: list[str]

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


def _ensure_learning(seed: int, today: date | None = None) -> LearningOutcome:
    """Assign paths by rule, then give the new assignments a believable history.

    Only assignments this run creates are given a history (a back-dated assignment and
    some progress), so a second run, or real trainees' progress, is never disturbed.
    """
    from academy.learning.models import Assignment, AssignmentRule, LearningPath, LessonProgress
    from academy.learning.notifications import notify_due
    from academy.learning.services import apply_rules, path_outlines
    from academy.timeutil import utcnow

    today = today or date.today()
    counts = {"assignments": 0, "lessons_done": 0, "paths_completed": 0, "notices": 0}
    if db.session.scalar(select(LearningPath.id).limit(1)) is None:
        return LearningOutcome(counts, [], [
            "No learning paths are loaded yet: run `flask academy courses sync`, then "
            "`flask academy demo` again to assign paths and create learning progress."])
    before = set(db.session.scalars(select(Assignment.id)))
    counts["assignments"] = apply_rules(today=today)
    fresh = [a for a in db.session.scalars(select(Assignment).order_by(Assignment.id))
             if a.id not in before]
    paths = {a.path_id: a.path for a in fresh}
    due_from = dict(db.session.execute(select(AssignmentRule.id, AssignmentRule.due_from)).all())
    outlines = path_outlines(paths.values())
    progress_rows: list[dict[str, Any]] = []
    taken: set[tuple] = set()
    now = utcnow()
    for assignment in fresh:
        worker = assignment.worker
        rng = random.Random(f"{seed}:{worker.employee_no}:{assignment.path.code}")
        # Back-date: staff were assigned when hired, or in the last two months.
        start = max(worker.hire_date, today - timedelta(days=rng.randint(0, 60)))
        assignment.assigned_at = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        if due_from.get(assignment.rule_id) != "hire":
            assignment.due_date = start + timedelta(days=assignment.path.due_days)
        lessons = [lesson for module in outlines[assignment.path_id]
                   for lesson in module.lessons]
        overdue = assignment.due_date < today
        roll = rng.random()
        if roll < (0.45 if overdue else 0.2):
            done = len(lessons)
        elif roll < 0.75:
            done = rng.randint(1, max(1, len(lessons) - 1)) if lessons else 0
        else:
            done = 0
        elapsed = max(1, (today - start).days)
        for index, lesson in enumerate(lessons[:done]):
            if (worker.id, *lesson.key) in taken:
                continue
            taken.add((worker.id, *lesson.key))
            at = datetime.combine(start + timedelta(days=min(elapsed, index + 1)),
                                  datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            at = min(at, now)
            progress_rows.append({"worker_id": worker.id, "course_id": lesson.course_id,
                                  "module_slug": lesson.module_slug,
                                  "lesson_slug": lesson.lesson_slug, "first_viewed_at": at,
                                  "last_viewed_at": at, "completed_at": at})
        if lessons and done == len(lessons):
            assignment.completed_at = min(now, datetime.combine(
                start + timedelta(days=min(elapsed, len(lessons))), datetime.min.time(),
                tzinfo=UTC) + timedelta(hours=17))
            counts["paths_completed"] += 1
    if progress_rows:
        existing = {tuple(row) for row in db.session.execute(select(
            LessonProgress.worker_id, LessonProgress.course_id, LessonProgress.module_slug,
            LessonProgress.lesson_slug))}
        progress_rows = [r for r in progress_rows if (r["worker_id"], r["course_id"],
                         r["module_slug"], r["lesson_slug"]) not in existing]
        if progress_rows:
            db.session.execute(insert(LessonProgress), progress_rows)
    counts["lessons_done"] = len(progress_rows)
    db.session.flush()
    notices = notify_due(today)
    counts["notices"] = notices["due_soon"] + notices["overdue"]
    lines = [f"Learning: {counts['assignments']} assignments by rule, "
             f"{counts['lessons_done']} lessons done, {counts['paths_completed']} paths "
             f"completed, {counts['notices']} due/overdue notices."] if any(counts.values()) \
        else []
    return LearningOutcome(counts, lines, [])


# ---------------------------------------------------------------- observations

# The demo assessor is engaged for one subdistrict centre (and its stations).
ENGAGED_UNIT = "S02"
ENGAGEMENT_NOTE = "第三方窗口服务质量测评（示例）"


def _ensure_observations(seed: int, units: dict[str, OrgUnit],
                         today: date | None = None) -> LearningOutcome:
    """Engage the demo assessor for S02, and add two sample observations once.

    The engagement is found by assessor and unit, each observation by observer, worker and
    rubric, so a second run (or observations recorded since) adds nothing.
    """
    from datetime import time

    from academy.observations import services as observing
    from academy.observations.models import AssessorEngagement, Observation

    today = today or date.today()
    counts = {"engagements": 0, "observations": 0}
    assessor, admin = get_user_by_username("assessor"), get_user_by_username("admin")
    if assessor is None or admin is None or not assessor.has_role("assessor") \
            or not admin.has_role("admin"):
        return LearningOutcome(counts, [], [])  # the accounts were changed since: leave them
    unit = units[ENGAGED_UNIT]
    if db.session.scalar(select(AssessorEngagement.id).where(
            AssessorEngagement.assessor_id == assessor.id,
            AssessorEngagement.org_unit_id == unit.id)) is None:
        observing.create_engagement(admin, assessor=assessor, unit=unit,
                                    valid_from=today - timedelta(days=30),
                                    valid_to=today + timedelta(days=335), note=ENGAGEMENT_NOTE,
                                    today=today)
        counts["engagements"] = 1
    rubrics = {rubric.code: rubric for rubric in observing.list_rubrics()}
    if not {"counter-service", "role-play"} <= set(rubrics):
        return LearningOutcome(counts, [], [
            "No observation rubrics are loaded yet: run `flask academy courses sync`, then "
            "`flask academy demo` again to add sample observations."])
    trainee = get_user_by_username("trainee")
    counter_worker = db.session.scalar(
        select(Worker).join(Worker.org_unit)
        .where(OrgUnit.path.startswith(unit.path, autoescape=True),
               Worker.status == WorkerStatus.ACTIVE, Worker.post == "综合窗口")
        .order_by(Worker.employee_no).limit(1))
    planned = [
        (assessor, counter_worker, "counter-service", "counter_session", 3,
         {"composure"}, "接待规范，一次性告知完整；结束语可以再自然一些。"),
        (admin, trainee.worker if trainee is not None else None, "role-play", "role_play", 7,
         set(), "新入职人员情景演练：问候和迎接语到位，材料不全时的告知还需练习。"),
    ]
    for observer, worker, code, kind, days_ago, unobserved, notes in planned:
        if worker is None or db.session.scalar(select(Observation.id).where(
                Observation.observer_id == observer.id, Observation.worker_id == worker.id,
                Observation.rubric_code == code)) is not None:
            continue
        scope = observing.scope_for(observer, today)
        if not scope.covers(worker.org_unit):
            continue
        rubric = rubrics[code]
        rng = random.Random(f"{seed}:{worker.employee_no}:{code}")
        scores = {c["code"]: None if c["code"] in unobserved else rng.choice([3, 4, 4, 5, 5])
                  for c in rubric.criteria}
        observing.record_observation(observer, scope, worker, rubric, observing.ObservationInput(
            kind=kind, scores=scores, notes=notes,
            # 10:00 in the district (UTC+8)
            observed_at=datetime.combine(today - timedelta(days=days_ago), time(2, 0),
                                         tzinfo=UTC)))
        counts["observations"] += 1
    lines = [f"Observations: {counts['engagements']} assessor engagements, "
             f"{counts['observations']} sample observations."] if any(counts.values()) else []
    return LearningOutcome(counts, lines, [])
