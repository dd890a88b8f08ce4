"""The directory's JSON shape (``/directory.json``): built from the same cards and facet
groups as the page, so it can hold nothing the page would not show."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.directory.listing import DirectoryPage, FacetGroup, OrgCard, PersonCard


def person_json(card: PersonCard) -> dict[str, Any]:
    user, facts = card.user, card.facts
    org = user.organization
    return {
        "username": user.username,
        "name": user.display_name,
        "url": url_for("accounts.profile", username=user.username),
        "role": user.role,
        "organization": (
            {
                "name": org.name,
                "slug": org.slug,
                "url": url_for("accounts.organization", slug=org.slug),
                "partner_type": org.partner_type,
                "tier": org.tier,
            }
            if org is not None
            else None
        ),
        "job_title": facts.job_title,
        "region": facts.region,
        "country": facts.country,
        "languages": facts.languages,
        "specialisms": facts.specialisms,
        "certifications": facts.certifications,
        "industries": facts.industries,
        "custom": {value.key: {"label": value.label, "values": value.items} for value in facts.custom},
        "reputation": card.reputation,
    }


def org_json(card: OrgCard) -> dict[str, Any]:
    org = card.org
    return {
        "name": org.name,
        "slug": org.slug,
        "url": url_for("accounts.organization", slug=org.slug),
        "partner_type": org.partner_type,
        "partner_type_label": org.partner_type_label,
        "tier": org.tier,
        "regions": list(org.regions or []),
        "specialisms": list(org.specialisms or []),
        "industries": list(org.industries or []),
        "members": card.members,
    }


def facet_json(group: FacetGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "label": group.label,
        "values": [
            {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
            for v in group.values
        ],
    }


def page_json(page: DirectoryPage) -> dict[str, Any]:
    query = page.query
    base = url_for("directory.index_json")
    links = {"self": base + query.query_string(), "page": url_for("directory.index") + query.query_string()}
    if page.has_next:
        links["next"] = base + query.query_string(page=query.page + 1)
    if page.has_prev:
        links["prev"] = base + query.query_string(page=query.page - 1)
    serialize = person_json if query.show == "people" else org_json
    return {
        "show": query.show,
        "q": query.q,
        "sort": query.sort,
        "filters": query.filters,
        "page": query.page,
        "per_page": query.per_page,
        "pages": page.pages,
        "total": page.total,
        "results": [serialize(item) for item in page.items],
        "facets": [facet_json(group) for group in page.facets],
        "links": links,
    }
