"""The directory of acceptance points: search by name, category or street, nearest, one by id.

Categories have stable ids (`cafe`, `bakery`, …) that NLU entities and flows use; the
names a citizen reads are the flows' business. Name search is fuzzy (rapidfuzz), so
"eiscafe schloss" finds "Eiscafé am Schloss".

Actions (params → result keys; a merchant is {id, name, category, street,
house_number, postcode, city, address, lat, lon}; `distance_m` is added by `nearest`):

- `merchants.categories` {} → {categories: [{id, count}]}
- `merchants.search` {name?, category?, street?, limit?} → {merchants: [merchant…], total}
- `merchants.nearest` {lat, lon, category?, limit?} → {merchants: [merchant + distance_m]}
- `merchants.get` {id | token | payload} → {merchant}

Error codes: missing_param, invalid_param, unknown_category (details: known), not_found.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func
from sqlmodel import Session, select

from actions.geo import haversine_m, valid_coordinates
from actions.models import Merchant
from actions.params import as_float, as_int, invalid
from actions.registry import ActionContext, ActionError, action
from bot.core.db import MAX_ID

DEFAULT_LIMIT = 5
MAX_LIMIT = 50
NAME_SCORE_CUTOFF = 70
#: A street typed with one slip ("Walstraße") is still that street; a different one is not.
STREET_SCORE_CUTOFF = 92


def merchant_dict(merchant: Merchant) -> dict[str, Any]:
    """What flows show about a shop (never its token)."""
    return {
        "id": merchant.id,
        "name": merchant.name,
        "category": merchant.category,
        "street": merchant.street,
        "house_number": merchant.house_number,
        "postcode": merchant.postcode,
        "city": merchant.city,
        "address": (
            f"{merchant.street} {merchant.house_number}, {merchant.postcode} {merchant.city}"
        ),
        "lat": merchant.lat,
        "lon": merchant.lon,
    }


def _limit(params: dict[str, Any]) -> int:
    value = as_int(params.get("limit") or DEFAULT_LIMIT, "limit")
    return max(1, min(value, MAX_LIMIT))


def _active(session: Session) -> list[Merchant]:
    return list(session.exec(select(Merchant).where(Merchant.active == True)).all())  # noqa: E712


def known_categories(session: Session) -> list[str]:
    """Category ids that have at least one active shop."""
    rows = session.exec(
        select(Merchant.category).where(Merchant.active == True).distinct()  # noqa: E712
    ).all()
    return sorted(rows)


def _category(session: Session, value: Any) -> str:
    text = str(value).strip().lower()
    known = known_categories(session)
    if text not in known:
        raise ActionError("unknown_category", value=text[:40], known=known)
    return text


@action("merchants.categories", writes=False)
def categories(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Categories with their number of shops, for a choice list.

    params {} → {categories: [{id, count}]}.
    """
    rows = ctx.session.exec(
        select(Merchant.category, func.count())
        .where(Merchant.active == True)  # noqa: E712
        .group_by(Merchant.category)
        .order_by(Merchant.category)
    ).all()
    return {"categories": [{"id": cat, "count": count} for cat, count in rows]}


@action("merchants.search", writes=False)
def search(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Shops by fuzzy name, by category and/or by street (together: all must hold).

    params {name?, category?, street?, limit?} → {merchants: [merchant…], total}.
    """
    name = str(params.get("name") or "").strip()
    category = params.get("category")
    street = str(params.get("street") or "").strip()
    if not name and not category and not street:
        raise ActionError("missing_param", param="name")
    shops = _active(ctx.session)
    if category:
        cat = _category(ctx.session, category)
        shops = [m for m in shops if m.category == cat]
    if street:
        shops = [m for m in shops if _same_street(m.street, street)]
    if name:
        matches = process.extract(
            name,
            {m.id: m.name for m in shops},
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=NAME_SCORE_CUTOFF,
            limit=MAX_LIMIT,
        )
        by_id = {m.id: m for m in shops}
        shops = [by_id[key] for _name, _score, key in matches]
    else:
        shops.sort(key=lambda m: m.name)
    return {"merchants": [merchant_dict(m) for m in shops[: _limit(params)]], "total": len(shops)}


def _street_key(street: str) -> str:
    """ "Schloßstraße", "Schlossstr." and "schloss strasse" compare equal."""
    key = utils.default_process(street.replace("ß", "ss")).replace(" ", "")
    return key[:-3] + "strasse" if key.endswith("str") else key


def _same_street(a: str, b: str) -> bool:
    return fuzz.ratio(_street_key(a), _street_key(b)) >= STREET_SCORE_CUTOFF


@action("merchants.nearest", writes=False)
def nearest(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Shops closest to a shared location, optionally of one category.

    params {lat, lon, category?, limit?} → {merchants: [merchant + distance_m]}.
    """
    lat = as_float(params.get("lat"), "lat")
    lon = as_float(params.get("lon"), "lon")
    if not valid_coordinates(lat, lon):
        raise invalid("lat", f"{lat},{lon}")
    shops = _active(ctx.session)
    if params.get("category"):
        cat = _category(ctx.session, params["category"])
        shops = [m for m in shops if m.category == cat]
    ranked = sorted(((haversine_m(lat, lon, m.lat, m.lon), m) for m in shops), key=lambda p: p[0])
    return {
        "merchants": [
            {**merchant_dict(m), "distance_m": round(dist)} for dist, m in ranked[: _limit(params)]
        ]
    }


def merchant_from_payload(payload: str) -> int | None:
    """The merchant id in a deep-link payload `shop_<id>`, else None."""
    prefix, _, rest = payload.partition("_")
    if prefix != "shop" or not rest.isascii() or not rest.isdigit():
        return None
    merchant_id = int(rest)
    return merchant_id if merchant_id <= MAX_ID else None


@action("merchants.get", writes=False)
def get(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """One shop by id, by its QR payload (`shop_17`) or by merchant token.

    params {id | payload | token} → {merchant}.
    """
    merchant: Merchant | None = None
    if params.get("id") is not None:
        merchant = ctx.session.get(Merchant, as_int(params["id"], "id"))
    elif params.get("payload"):
        merchant_id = merchant_from_payload(str(params["payload"]))
        merchant = ctx.session.get(Merchant, merchant_id) if merchant_id is not None else None
    elif params.get("token"):
        merchant = ctx.session.exec(
            select(Merchant).where(Merchant.merchant_token == str(params["token"]))
        ).first()
    else:
        raise ActionError("missing_param", param="id")
    if merchant is None or not merchant.active:
        raise ActionError("not_found", what="merchant")
    return {"merchant": merchant_dict(merchant)}
