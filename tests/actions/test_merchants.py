"""Acceptance point directory: fuzzy name, category, nearest, by id / payload / token."""

from __future__ import annotations

import pytest
from sqlmodel import select

from actions.models import Merchant
from actions.registry import ActionError
from bot.core.db import transaction

SCHLOSS = {"lat": 52.075431, "lon": 7.005545}  # the Eiscafé's door


def _error(call, *args, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as err:
        call(*args, **kwargs)
    return err.value


def test_fuzzy_name_search(demo, call, new_contact):
    me = new_contact()
    for typed in ("Eiscafé am Schloss", "eiscafe am schloss", "Eiscafe Schlos"):
        found = call("merchants.search", me, name=typed)["merchants"]
        assert found[0]["name"] == "Eiscafé am Schloss", typed
    assert call("merchants.search", me, name="xyzzy quux")["merchants"] == []


def test_category_search_and_categories(demo, call, new_contact):
    me = new_contact()
    cafes = call("merchants.search", me, category="cafe", limit=50)
    assert cafes["total"] >= 10 and all(m["category"] == "cafe" for m in cafes["merchants"])
    cats = {c["id"]: c["count"] for c in call("merchants.categories", me)["categories"]}
    assert sum(cats.values()) == 200 and {"bakery", "ice_cream", "pharmacy"} <= set(cats)
    assert _error(call, "merchants.search", me, category="spaceships").code == "unknown_category"
    assert _error(call, "merchants.search", me).code == "missing_param"


def test_nearest(demo, call, new_contact):
    me = new_contact()
    near = call("merchants.nearest", me, **SCHLOSS, limit=3)["merchants"]
    assert near[0]["name"] == "Eiscafé am Schloss" and near[0]["distance_m"] == 0
    assert [m["distance_m"] for m in near] == sorted(m["distance_m"] for m in near)
    bakeries = call("merchants.nearest", me, **SCHLOSS, category="bakery")["merchants"]
    assert bakeries and {m["category"] for m in bakeries} == {"bakery"}
    assert _error(call, "merchants.nearest", me, lat=95, lon=7).code == "invalid_param"
    assert _error(call, "merchants.nearest", me, lat="north", lon=7).code == "invalid_param"


def test_get_by_id_payload_token(engine, demo, call, new_contact):
    me = new_contact()
    with transaction(engine) as session:
        token = session.exec(select(Merchant.merchant_token).where(Merchant.id == 1)).one()
    for params in ({"id": 1}, {"payload": "shop_1"}, {"token": token}):
        merchant = call("merchants.get", me, **params)["merchant"]
        assert merchant["name"] == "Eiscafé am Schloss" and "merchant_token" not in merchant
    for params in ({"id": 9999}, {"payload": "shop_x"}, {"token": "nope"}):
        assert _error(call, "merchants.get", me, **params).code == "not_found"
    assert _error(call, "merchants.get", me).code == "missing_param"
