"""Directory demo data for ``flask seed-demo``: custom profile fields, the demo people's
certifications, industries and field values, one member hidden from the directory and
one who hides a detail, then a facet rebuild so the filters show counts at once.

Like ``app.demo`` it writes through the models (no events) and is idempotent: fields
by key, settings only for members who have none yet.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.directory.facets import rebuild_all
from app.directory.models import DirectoryProfile, ProfileField, ProfileFieldValue
from app.extensions import db

FIELDS = [
    dict(key="cloud_platforms", label="Cloud platforms", kind="multi",
         choices=["AWS", "Microsoft Azure", "Google Cloud", "Oracle Cloud"], searchable=True,
         in_directory=True, visibility="everyone", help_text="Clouds you deliver projects on."),
    dict(key="practice_size", label="Practice size", kind="choice",
         choices=["1–10 people", "11–50 people", "51–200 people", "200+ people"], in_directory=True,
         visibility="members", help_text="How many people work in your practice."),
    dict(key="mentoring", label="Mentoring", kind="choice", choices=["Open to mentoring", "Not right now"],
         in_directory=True, visibility="everyone"),
    dict(key="portfolio", label="Portfolio", kind="url", in_directory=True, visibility="members"),
    dict(key="vetting_notes", label="Vetting notes", kind="text", in_directory=False, visibility="staff",
         help_text="Seen by moderators and admins only."),
]  # fmt: skip

# username: (certifications, industries, {field key: value}, hidden fields, hidden from the directory)
SETTINGS = {
    "mentor": (["CISSP", "CCNP Security"], ["public sector"],
               {"cloud_platforms": ["AWS", "Microsoft Azure"], "mentoring": "Open to mentoring",
                "practice_size": "51–200 people"}, [], False),
    "alice": (["Partner Sales Professional"], ["retail"],
              {"cloud_platforms": ["Microsoft Azure"], "mentoring": "Open to mentoring",
               "practice_size": "51–200 people", "portfolio": "https://northwind.example/team/alice"}, [], False),
    "bob": (["AWS Solutions Architect"], ["manufacturing"],
            {"cloud_platforms": ["AWS", "Google Cloud"], "practice_size": "200+ people"}, [], False),
    "carol": (["SAP Certified Integration"], ["energy", "mining"],
              {"cloud_platforms": ["Oracle Cloud", "AWS"], "mentoring": "Open to mentoring",
               "practice_size": "11–50 people", "vetting_notes": "Reference checked 2024."}, [], False),
    "dave": (["CCNA"], [], {"cloud_platforms": ["Microsoft Azure"], "mentoring": "Not right now"},
             ["country"], False),
    "erin": (["Microsoft 365 Administrator"], ["healthcare"],
             {"cloud_platforms": ["Microsoft Azure", "AWS"], "practice_size": "11–50 people"}, [], False),
    "frank": ([], [], {"cloud_platforms": ["Microsoft Azure"]}, [], False),
    "grace": (["Google Cloud Professional Data Engineer"], ["insurance"],
              {"cloud_platforms": ["Google Cloud"], "mentoring": "Open to mentoring"}, [], False),
    "heidi": ([], ["telecommunications"], {"cloud_platforms": ["AWS"], "practice_size": "200+ people"}, [], False),
    "ivan": ([], ["education"], {}, [], True),
    "judy": (["HubSpot Marketing"], [], {"mentoring": "Not right now"}, [], False),
}  # fmt: skip


def seed_directory_demo() -> int:
    """Add the demo fields and settings; returns how many fields were added."""
    fields = {field.key: field for field in db.session.scalars(sa.select(ProfileField))}
    added = 0
    for position, spec in enumerate(FIELDS):
        if spec["key"] not in fields:
            field = ProfileField(position=position, **spec)
            db.session.add(field)
            fields[spec["key"]] = field
            added += 1
    db.session.flush()
    users = {
        user.username: user
        for user in db.session.scalars(sa.select(User).where(User.username.in_(list(SETTINGS))))
    }
    for username, (certifications, industries, values, hidden_fields, hidden) in SETTINGS.items():
        user = users.get(username)
        if user is None or db.session.get(DirectoryProfile, user.id) is not None:
            continue
        db.session.add(
            DirectoryProfile(
                user_id=user.id, hidden=hidden, hidden_fields=hidden_fields,
                certifications=certifications, industries=industries,
            )
        )  # fmt: skip
        for key, value in values.items():
            db.session.add(ProfileFieldValue(user_id=user.id, field_id=fields[key].id, value=value))
    db.session.flush()
    rebuild_all()
    return added
