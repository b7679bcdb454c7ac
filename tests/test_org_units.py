"""Org units: tree, create, rename, move, subtree scope."""

from __future__ import annotations

import pytest

from academy.errors import ValidationFailed
from academy.org import services
from academy.org.models import OrgUnit


def test_paths_form_a_tree(orgs):
    assert orgs["D"].contains(orgs["V1"])
    assert orgs["S1"].contains(orgs["V1"])
    assert not orgs["S1"].contains(orgs["V2"])
    tree = [(u.code, depth) for u, depth in services.unit_tree(orgs["D"])]
    assert tree == [("D", 0), ("S1", 1), ("V1", 2), ("S2", 1), ("V2", 2)]


def test_level_rules(orgs, db):
    with pytest.raises(ValidationFailed):
        services.create_unit(code="X", name="错层", level="village", parent=orgs["D"])
    with pytest.raises(ValidationFailed):
        services.create_unit(code="Y", name="第二个区", level="district", parent=orgs["D"])
    with pytest.raises(ValidationFailed):
        services.create_unit(code="bad code!", name="名称", level="village", parent=orgs["S1"])


def test_move_rewrites_the_subtree(orgs, make_unit, db):
    v3 = make_unit("V3", "village", orgs["S1"])
    services.move_unit(v3, orgs["S2"])
    db.session.commit()
    v3 = db.session.scalar(db.select(OrgUnit).where(OrgUnit.code == "V3"))
    assert v3.parent.code == "S2"
    assert orgs["S2"].contains(v3) and not orgs["S1"].contains(v3)


def test_cannot_move_under_own_descendant(orgs):
    with pytest.raises(ValidationFailed):
        services.move_unit(orgs["S1"], orgs["V1"])


def test_admin_pages_create_rename_move(client, orgs, login_as, db):
    login_as(roles=("admin",), unit=orgs["D"])
    page = client.get("/admin/units")
    assert page.status_code == 200 and "东街道" in page.get_data(as_text=True)
    response = client.post("/admin/units", data={
        "code": "V9", "name": "新建社区", "level": "village", "parent": "S2"})
    assert response.status_code == 302
    response = client.post("/admin/units/V9", data={"action": "rename", "rename-name": "更名社区"})
    assert response.status_code == 302
    response = client.post("/admin/units/V9", data={"action": "move", "move-parent": "S1"})
    assert response.status_code == 302
    db.session.expire_all()
    unit = services.get_unit_by_code("V9")
    assert unit.name == "更名社区" and unit.parent.code == "S1"


def test_bad_unit_form_shows_errors_and_writes_nothing(client, orgs, login_as, db):
    login_as(roles=("admin",), unit=orgs["D"])
    response = client.post("/admin/units", data={
        "code": "S1", "name": "重复", "level": "subdistrict", "parent": "D"})
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(OrgUnit)) == 5


def test_subdistrict_admin_cannot_touch_sibling(client, orgs, login_as):
    login_as(roles=("admin",), unit=orgs["S1"])
    assert client.get("/admin/units/V1").status_code == 200
    assert client.get("/admin/units/V2").status_code == 403
    assert client.post("/admin/units/V2", data={"action": "rename",
                                               "rename-name": "x"}).status_code == 403
    # cannot create under a sibling's unit either
    assert client.post("/admin/units", data={
        "code": "V8", "name": "越权", "level": "village", "parent": "S2"}).status_code in (403, 422)
    assert services.get_unit_by_code("V8") is None
    listing = client.get("/admin/units").get_data(as_text=True)
    assert "东一社区" in listing and "西一村" not in listing
