"""``flask seed-demo``: a believable partner community to click through.

The demo data writes through the models directly, not the services: it must load in
seconds (100k posts with ``--posts``), must not send mail or fire plug-in events, and
must not depend on features that are still being built. It is idempotent by natural
keys (organization slug, user email, category slug, topic title within its category),
and ``--posts N`` tops the forum up to N posts in total instead of adding N each run.

This module is longer than most because half of it is content (the curated topics).
"""

from __future__ import annotations

import random
import re
import textwrap
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.accounts.confusables import skeleton
from app.accounts.models import Organization, User
from app.accounts.passwords import hash_password
from app.accounts.places import country_code
from app.core.db import utcnow
from app.core.sanitize import clean_html, render_markdown
from app.demo_activity import seed_activity_demo
from app.demo_corpus import CorpusGenerator
from app.extensions import db
from app.forums.models import Category, Mention, Post, PostLike, Topic, TopicWatch
from app.notifications.models import Notification
from app.plugins import plugin_manager

DEMO_DOMAIN = "guildhall.example"
MEMBER_PASSWORD = "guildhall-demo"  # noqa: S105 - a published demo login
BATCH_TOPICS = 400
REPLIES_PER_GENERATED_TOPIC = 20
# Generated topics are the public categories' long tail, started at least a week ago
# (replies span at most ~3.5 days) so the curated topics stay on the first page.
GENERATED_CATEGORIES = ("general", "technical-help", "selling-marketing", "campaigns")


def _md(text: str) -> str:
    return textwrap.dedent(text).strip()


# --- organizations, people, categories ---------------------------------------------

ORGANIZATIONS = [
    dict(
        slug="northwind-resellers", name="Northwind Resellers", partner_type="reseller", tier="gold",
        regions=["EMEA"], specialisms=["networking", "security"], industries=["retail", "public sector"],
        website="https://northwind.example",
        description="Value-added reseller covering the UK, Ireland and the Nordics since 2009.",
    ),
    dict(
        slug="pacific-distribution", name="Pacific Distribution Group", partner_type="distributor",
        tier="platinum", regions=["APAC"], specialisms=["cloud licensing", "logistics"],
        industries=["manufacturing", "telecommunications"], website="https://pacific-dist.example",
        description="Two-tier distributor serving 900 resellers across Australia, Singapore and Japan.",
    ),
    dict(
        slug="cloudbridge-msp", name="Cloudbridge Managed Services", partner_type="msp", tier="silver",
        regions=["North America"], specialisms=["managed backup", "monitoring", "Microsoft 365"],
        industries=["healthcare", "finance"], website="https://cloudbridge.example",
        description="24/7 managed services for small clinics and credit unions in the US and Canada.",
    ),
    dict(
        slug="andes-si", name="Andes Systems Integration", partner_type="system-integrator", tier="gold",
        regions=["LATAM", "North America"], specialisms=["data platforms", "ERP integration"],
        industries=["energy", "mining"], website="https://andes-si.example",
        description="Integration projects for energy and mining groups from Santiago, Lima and Houston.",
    ),
    dict(
        slug="lumen-software", name="Lumen Software", partner_type="isv", tier="silver",
        regions=["EMEA", "North America"], specialisms=["analytics", "APIs"],
        industries=["finance", "insurance"], website="https://lumen.example",
        description="Builds the **Lumen Insights** add-on on top of the platform's public API.",
    ),
    dict(
        slug="bright-path", name="Bright Path Referrals", partner_type="referral", tier="registered",
        regions=["EMEA", "APAC"], specialisms=["SMB advisory"],
        industries=["professional services", "education"], website=None,
        description="Independent advisers who introduce small businesses and schools.",
    ),
]  # fmt: skip


@dataclass
class Person:
    username: str
    display_name: str
    role: str = "member"
    password: str = MEMBER_PASSWORD
    org: str | None = None
    org_admin: bool = False
    job_title: str = ""
    region: str = ""
    country: str = ""
    languages: list[str] = field(default_factory=lambda: ["English"])
    specialisms: list[str] = field(default_factory=list)
    bio: str = ""

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_DOMAIN}"


PEOPLE = [
    Person("admin", "Morgan Reyes", "admin", "guildhall-admin", None, False, "Partner Programme Director",
           "EMEA", "Netherlands", ["English", "Dutch", "Spanish"], ["partner programmes"],
           "Runs the partner programme. Ask me about tiers, MDF and anything that feels unfair."),
    Person("moderator", "Sam Whitfield", "moderator", "guildhall-mod", None, False, "Community Manager",
           "North America", "Canada", ["English", "French"], ["community"],
           "Keeps the forums friendly and findable. Flag anything that looks off."),
    Person("mentor", "Priya Raman", "mentor", "guildhall-mentor", "northwind-resellers", False,
           "Principal Solutions Architect", "EMEA", "United Kingdom", ["English", "Tamil"],
           ["identity", "networking", "security"],
           "Fifteen years of SSO, VPNs and firewalls. Happy to review architectures."),
    Person("alice", "Alice Martin", org="northwind-resellers", org_admin=True, job_title="Partner Manager",
           region="EMEA", country="United Kingdom", languages=["English", "French"],
           specialisms=["deal registration", "security"],
           bio="Partner manager at Northwind. Coffee, spreadsheets and *very* long renewals."),
    Person("bob", "Bob Chen", org="pacific-distribution", job_title="Channel Sales Engineer",
           region="APAC", country="Singapore", languages=["English", "Mandarin"],
           specialisms=["cloud licensing", "APIs"], bio="Pre-sales for our reseller network in South-East Asia."),
    Person("carol", "Carol Silva", org="andes-si", org_admin=True, job_title="Delivery Lead",
           region="LATAM", country="Chile", languages=["Spanish", "English", "Portuguese"],
           specialisms=["data platforms", "ERP integration"], bio="Delivery lead for integration projects."),
    Person("dave", "Dave Kowalski", org="northwind-resellers", job_title="Support Engineer",
           region="EMEA", country="Ireland", languages=["English", "Polish"], specialisms=["networking"],
           bio="Second-line support. If it's broken on a Friday, it's probably mine."),
    Person("erin", "Erin O'Neill", org="cloudbridge-msp", org_admin=True, job_title="Founder & CTO",
           region="North America", country="United States", specialisms=["managed backup", "monitoring"],
           bio="Started Cloudbridge in a spare bedroom; now 40 people and 600 clinics."),
    Person("frank", "Frank Müller", org="cloudbridge-msp", job_title="NOC Engineer",
           region="North America", country="Canada", languages=["English", "German"],
           specialisms=["monitoring", "Microsoft 365"], bio="Night shift at the NOC, day shift at the forum."),
    Person("grace", "Grace Adeyemi", org="lumen-software", org_admin=True, job_title="Head of Partnerships",
           region="EMEA", country="Nigeria", languages=["English", "Yoruba"], specialisms=["APIs", "analytics"],
           bio="Partnerships at Lumen Software. We build on the public API and love a good webhook."),
    Person("heidi", "Heidi Tanaka", org="pacific-distribution", org_admin=True, job_title="Alliance Director",
           region="APAC", country="Japan", languages=["Japanese", "English"], specialisms=["cloud licensing"],
           bio="Alliance director for Japan and Korea."),
    Person("ivan", "Ivan Petrov", org="bright-path", org_admin=True, job_title="Independent Adviser",
           region="EMEA", country="Bulgaria", languages=["Bulgarian", "English", "Russian"],
           specialisms=["SMB advisory"], bio="I introduce small businesses and schools to the right partner."),
    Person("judy", "Judy Álvarez", org="andes-si", job_title="Marketing Specialist", region="LATAM",
           country="Mexico", languages=["Spanish", "English"], specialisms=["campaigns", "events"],
           bio="Campaigns and events for Andes across Mexico and the Andean region."),
]  # fmt: skip

CATEGORIES = [
    dict(slug="announcements", name="Announcements", position=0, topic_policy="moderator,admin",
         description="News from the partner programme team. Only staff start topics here."),
    dict(slug="general", name="General", position=1, description="Introductions, events and everything else."),
    dict(slug="technical-help", name="Technical Help", position=2,
         description="Integration, identity, APIs and troubleshooting. Post logs in code blocks."),
    dict(slug="selling-marketing", name="Selling & Marketing", position=3,
         description="Positioning, pricing, deal registration and co-selling."),
    dict(slug="campaigns", name="Campaigns", position=0, parent="selling-marketing",
         description="Campaign kits, results and ideas worth copying."),
    dict(slug="partner-lounge", name="Partner Lounge", position=4, view_policy="members",
         description="Members only: hiring, pricing models and candid conversations."),
    dict(slug="staff-room", name="Staff room", position=5, view_policy="moderator,admin",
         topic_policy="moderator,admin", reply_policy="moderator,admin",
         description="Moderators and administrators only."),
]  # fmt: skip

# --- curated topics: (category, author, title, body, replies[(author, body)]) ---------

TOPICS = [
    dict(category="announcements", author="admin", pinned=True, hours_ago=50, views=612,
         title="Welcome to the Guildhall partner community",
         body=_md("""
            Welcome! This is where partners, our channel team and product experts meet.

            - Ask and answer questions in **Technical Help**
            - Share what works in **Selling & Marketing** (campaign kits live in *Campaigns*)
            - Talk shop with other partners in the members-only **Partner Lounge**

            Please read the [community guidelines](https://guildhall.example/guidelines) and
            complete your profile so others can find you by region and specialism.
         """),
         replies=[
            ("alice", "Great to have a proper home for this instead of 40 email threads. 🎉"),
            ("moderator", "Thanks Alice! If anything here is unclear, flag it or mention me: @moderator."),
         ]),
    dict(category="announcements", author="admin", hours_ago=44, views=455,
         title="Programme update: new deal registration rules from 1 July",
         body=_md("""
            From **1 July** deal registration protects an opportunity for 120 days (was 90).
            Discounts by tier:

            | Tier | Registered deal | Unregistered |
            |------|----------------:|-------------:|
            | Registered | 10% | 5% |
            | Silver | 18% | 8% |
            | Gold | 25% | 12% |
            | Platinum | 32% | 15% |

            Existing registrations are extended automatically.
         """),
         replies=[
            ("erin", "Does the 120 days also apply to renewals we registered before July?"),
            ("admin", "> Does the 120 days also apply to renewals we registered before July?\n\n"
                      "Yes: every registration open on 1 July gets the extra 30 days."),
            ("heidi", "Thank you. This will help distributors a lot in Japan where cycles are long."),
         ]),
    dict(category="technical-help", author="dave", hours_ago=30, views=233,
         title="SSO with Azure AD: SAML assertion rejected after certificate rollover",
         body=_md("""
            Since Azure AD rolled the signing certificate this morning, every login fails with:

            ```text
            SAMLResponse rejected: signature validation failed
            issuer=https://sts.windows.net/3f2a…/ cert_thumbprint=9C:41:…:E7
            ```

            We uploaded the new certificate in the admin console. What did we miss?
         """),
         replies=[
            ("mentor", _md("""
                Classic one. The console keeps the **old** certificate pinned until you remove it.
                Check the metadata actually being used:

                ```bash
                curl -s https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml \\
                  | xmllint --xpath '//*[local-name()="X509Certificate"]/text()' -
                ```

                If both certificates appear, delete the expired one in the console.
            """)),
            ("dave", "That was it: two certificates, the old one first. Thanks @mentor!"),
            ("bob", "Bookmarking this. We hit the same thing with Okta last quarter."),
         ]),
    dict(category="technical-help", author="grace", hours_ago=26, views=198,
         title="Best way to automate licence provisioning through the API?",
         body=_md("""
            We want to provision licences for new customers straight from our billing system.
            Is polling `/v2/subscriptions` every minute acceptable, or are there webhooks?
         """),
         replies=[
            ("bob", _md("""
                Use the `subscription.created` webhook and keep a nightly reconcile job as a safety net.
                Our reconcile is about this big:

                ```python
                for sub in api.subscriptions(updated_since=last_run):
                    if not billing.has_customer(sub.customer_id):
                        alerts.warn(f"unknown customer {sub.customer_id}")
                ```
            """)),
            ("grace", "Perfect, webhooks plus a reconcile it is. Polling felt wrong."),
            ("mentor", "Also sign-check every webhook (HMAC header) and make the handler idempotent."),
         ]),
    dict(category="technical-help", author="erin", hours_ago=20, views=176,
         title="Backup jobs fail with 'quota exceeded' on a multi-tenant setup",
         body=_md("""
            Three tenants out of 600 fail nightly with `E_QUOTA_EXCEEDED`, although their storage
            is at 40%. Retention is 30 days, versioning on. Any ideas before I open a ticket?
         """),
         replies=[
            ("frank", "Versioned objects count twice during the compaction window. Check the tenants with many small files."),
            ("erin", "@frank you're right: all three are dental clinics with millions of X-ray thumbnails."),
         ]),
    dict(category="general", author="moderator", hours_ago=40, views=389,
         title="Introduce yourself! 👋",
         body="Tell us who you are, where you work from and what you'd like to learn here.",
         replies=[
            ("carol", "Carol from Andes SI in Santiago. We integrate ERP and data platforms for mining groups."),
            ("ivan", "Ivan, independent adviser in Sofia. I connect schools and small firms with partners."),
            ("judy", "¡Hola! Judy, marketing at Andes in Mexico City. Here for campaign ideas."),
            ("heidi", "Heidi from Pacific Distribution in Tokyo. よろしくお願いします。"),
         ]),
    dict(category="general", author="carol", hours_ago=16, views=141,
         title="Who is going to the Partner Summit in Lisbon?",
         body="Andes is sending four people. Anyone up for a LATAM partners dinner on the Tuesday?",
         replies=[
            ("judy", "Count me in. I can book a table near the venue."),
            ("alice", "Northwind will be there too. Happy to join if EMEA folks are welcome!"),
         ]),
    dict(category="general", author="admin", hours_ago=12, views=120,
         title="Roadmap input: what should we prioritise next?",
         body=_md("""
            We're planning the next two quarters of partner tooling. Candidates:

            1. Q&A with accepted answers
            2. A partner directory with filters by region and specialism
            3. Live chat rooms per region

            Reply with your top pick and why.
         """),
         replies=[
            ("grace", "Directory, please. Customers ask us for local implementers all the time."),
            ("bob", "> Live chat rooms per region\n\nThis, for APAC time zones."),
         ]),
    dict(category="selling-marketing", author="alice", hours_ago=22, views=164,
         title="Positioning the platinum bundle against cheaper competitors",
         body=_md("""
            We keep losing mid-market deals on price. How do you frame the bundle?

            | | Us (platinum bundle) | Typical competitor |
            |---|---|---|
            | SSO + audit log | included | add-on |
            | 24/7 support | included | business hours |
            | Data residency | EU, US, APAC | US only |
         """),
         replies=[
            ("heidi", "Lead with total cost over three years, not list price. The add-ons close the gap fast."),
            ("ivan", "For schools, data residency wins every time. Put it first in the deck."),
         ]),
    dict(category="selling-marketing", author="bob", hours_ago=9, views=88,
         title="Deal registration conflict with another partner on the same account",
         body="A reseller and one of our own partners registered the same hospital a day apart. Who wins?",
         replies=[
            ("admin", "First approved registration wins; the channel team reviews ties within 2 working days."),
         ]),
    dict(category="campaigns", author="judy", hours_ago=18, views=132,
         title="Co-branded campaign kit for the spring launch is live",
         body=_md("""
            The kit has email templates, three LinkedIn posts and a webinar deck in EN/ES/PT.
            Download it from the [partner portal](https://partners.guildhall.example/kits/spring).
         """),
         replies=[
            ("alice", "The Spanish deck is great. Any chance of a French version?"),
            ("judy", "@alice French and German are in translation, expected next week."),
         ]),
    dict(category="campaigns", author="carol", hours_ago=6, views=64,
         title="Results from our webinar campaign (numbers inside)",
         body=_md("""
            | Stage | Count | Rate |
            |-------|------:|-----:|
            | Invited | 4,200 | |
            | Registered | 380 | 9.0% |
            | Attended | 171 | 45% |
            | Meetings booked | 23 | 13% |

            Biggest lesson: send the reminder two hours before, not the day before.
         """),
         replies=[("judy", "The two-hour reminder trick doubled our attendance too.")]),
    dict(category="partner-lounge", author="heidi", hours_ago=14, views=97,
         title="Hiring: pre-sales engineers in APAC, referrals welcome",
         body="We're hiring two pre-sales engineers (Singapore, Sydney). Platform certification is a plus.",
         replies=[("bob", "Shared it with my old team. @heidi is remote within APAC possible?"),
                  ("heidi", "Yes, remote within APAC is fine.")]),
    dict(category="partner-lounge", author="erin", hours_ago=8, views=75,
         title="What's your MSP pricing model for small clinics?",
         body="Per seat, per device or flat per site? We're per seat and it's getting messy.",
         replies=[("frank", "Flat per site with a device cap works best for us below 25 staff."),
                  ("carol", "In LATAM we bundle hardware and charge per site, yearly up front.")]),
    dict(category="staff-room", author="moderator", hours_ago=4, views=12,
         title="Moderation notes for this month",
         body="Two spam waves from new accounts (both caught by flags). Proposal: first post needs approval.",
         replies=[("admin", "Agreed, let's try it for a month and review the queue times.")]),
]  # fmt: skip

# --- generated long tail ------------------------------------------------------------

_SUBJECTS = [
    "Deal registration", "Renewal quotes", "SSO setup", "API rate limits", "The partner portal",
    "MDF claims", "Certification exams", "Licence transfers", "Trial extensions", "Co-selling",
    "Backup retention", "Webhook retries", "The new price list", "Marketplace listing",
    "Customer onboarding", "Support escalations", "Data residency", "Demo environments",
    "Quarterly business reviews", "Lead routing",
]  # fmt: skip
_ANGLES = [
    "how do you handle it?", "best practice?", "not working after the update",
    "tips for first-timers", "in multi-tenant setups", "for public-sector customers",
    "and the new tier rules", "a checklist that works", "lessons learned", "what am I missing?",
]  # fmt: skip
_OPENERS = [
    "Quick question for the community.", "We ran into this twice this month.",
    "Sharing what worked for us.", "Following up on last week's thread.",
    "A customer asked me this today.", "Probably a basic one, sorry.",
]  # fmt: skip
_DETAILS = [
    "The customer has about 200 seats across three sites.",
    "It happens only in the EMEA tenant, never in North America.",
    "We documented the steps in our runbook and it cut tickets by half.",
    "Support suggested a workaround but it does not survive a restart.",
    "Our distributor says it depends on the tier, which tier are you on?",
    "Setting the retry interval to five minutes fixed it for us.",
    "We tried the **portal export** and the numbers did not match the invoice.",
    "The `sync` job logs a timeout after exactly 30 seconds.",
]  # fmt: skip
_CLOSERS = [
    "Thanks in advance!", "Any pointers appreciated.", "Happy to share our template.",
    "+1, same here.", "This worked for us, marking it in our wiki.", "Let me know if you need logs.",
]  # fmt: skip


def _generated_bodies(rng: random.Random, count: int = 150) -> list[tuple[str, str]]:
    """A pool of (markdown, html) bodies, each rendered once: rendering is the slow part."""
    pool = []
    for i in range(count):
        parts = [rng.choice(_OPENERS), rng.choice(_DETAILS), rng.choice(_DETAILS), rng.choice(_CLOSERS)]
        body = " ".join(dict.fromkeys(parts))
        if i % 7 == 0:
            body += "\n\n```text\nERROR sync: timeout after 30s (tenant=emea-2)\n```"
        elif i % 5 == 0:
            body += "\n\n- check the tenant region\n- check the licence tier\n- retry after 5 minutes"
        pool.append((body, render_markdown(body)))
    return pool


# --- helpers ------------------------------------------------------------------------

_MENTION = re.compile(r"(?<![\w@/])@([a-z0-9_]{2,40})\b")
_CODE = re.compile(r"(<pre>.*?</pre>|<code[^>]*>.*?</code>)", re.S)


def slugify(text: str, limit: int = 80) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "topic"


def render_with_mentions(body: str, usernames: set[str]) -> tuple[str, set[str]]:
    """Render Markdown and link @mentions of known users outside code."""
    found: set[str] = set()

    def link(match: re.Match) -> str:
        name = match.group(1)
        if name not in usernames:
            return match.group(0)
        found.add(name)
        return f'<a class="mention" href="/u/{name}">@{name}</a>'

    parts = _CODE.split(render_markdown(body))
    html = "".join(
        part if part.startswith(("<pre>", "<code")) else _MENTION.sub(link, part) for part in parts
    )
    return clean_html(html), found


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- seeding ------------------------------------------------------------------------


def seed_base() -> dict[str, int]:
    """Organizations, people, categories and curated topics; returns what was added."""
    added = {"organizations": 0, "users": 0, "categories": 0, "topics": 0}
    orgs = {org.slug: org for org in db.session.scalars(sa.select(Organization))}
    for spec in ORGANIZATIONS:
        if spec["slug"] not in orgs:
            org = Organization(**spec, description_html=render_markdown(spec["description"]))
            db.session.add(org)
            orgs[spec["slug"]] = org
            added["organizations"] += 1
    db.session.flush()

    users = {}
    hashes: dict[str, str] = {}  # one Argon2 hash per demo password: ~0.3s each
    for person in PEOPLE:
        user = db.session.scalar(sa.select(User).where(User.email == person.email))
        if user is None:
            if person.password not in hashes:
                hashes[person.password] = hash_password(person.password)
            user = User(
                email=person.email, username=person.username, display_name=person.display_name,
                display_skeleton=skeleton(person.display_name), password_hash=hashes[person.password],
                role=person.role, confirmed_at=utcnow(), bio=person.bio, bio_html=render_markdown(person.bio),
                job_title=person.job_title, region=person.region, country=country_code(person.country) or person.country,
                languages=person.languages, specialisms=person.specialisms,
                organization=orgs[person.org] if person.org else None, is_org_admin=person.org_admin,
            )  # fmt: skip
            db.session.add(user)
            added["users"] += 1
        users[person.username] = user
    db.session.flush()

    categories = {c.slug: c for c in db.session.scalars(sa.select(Category))}
    for spec in CATEGORIES:
        if spec["slug"] in categories:
            continue
        values = {k: v for k, v in spec.items() if k != "parent"}
        category = Category(**values)
        if "parent" in spec:
            category.parent = categories[spec["parent"]]
        db.session.add(category)
        categories[spec["slug"]] = category
        added["categories"] += 1
    db.session.flush()

    now = utcnow()
    for index, spec in enumerate(TOPICS):
        category = categories[spec["category"]]
        exists = db.session.scalar(
            sa.select(Topic.id).where(Topic.category_id == category.id, Topic.title == spec["title"])
        )
        if exists is None:
            _add_curated_topic(spec, index, category, users, now - timedelta(hours=spec["hours_ago"]))
            added["topics"] += 1
    db.session.flush()
    return added


def _add_curated_topic(spec: dict, index: int, category: Category, users: dict, start: datetime) -> None:
    author = users[spec["author"]]
    topic = Topic(
        category=category, author=author, title=spec["title"], slug=slugify(spec["title"]),
        created_at=start, pinned=spec.get("pinned", False), view_count=spec.get("views", 0),
    )  # fmt: skip
    db.session.add(topic)
    entries = [(spec["author"], spec["body"]), *spec["replies"]]
    posts: list[Post] = []
    for number, (username, body) in enumerate(entries, start=1):
        html, mentioned = render_with_mentions(body, set(users))
        when = start + timedelta(minutes=47 * (number - 1))
        post = Post(topic=topic, author=users[username], number=number, body=body, body_html=html,
                    created_at=when)  # fmt: skip
        db.session.add(post)
        posts.append(post)
        topic.last_posted_at, topic.last_poster = when, users[username]
        db.session.flush()
        for name in mentioned - {username}:  # like the forums: never the author
            db.session.add(Mention(post_id=post.id, user_id=users[name].id))
            _notify(users[name], "mention", users[username], post, f"mentioned you in “{topic.title}”")
        if number > 1 and username != spec["author"]:
            _notify(author, "reply", users[username], post, f"replied to “{topic.title}”")
    topic.post_count = topic.highest_post_number = len(posts)

    # A few likes, chosen deterministically so reruns of a fresh database look the same.
    viewers = [u for name, u in users.items() if name not in ("admin", "moderator")]
    for offset, post in enumerate(posts):
        for liker in viewers[(index + offset) % 3 :: 4][: (index + offset) % 4]:
            if liker.id != post.author_id and category.view_policy == "everyone":
                db.session.add(PostLike(post_id=post.id, user_id=liker.id, created_at=post.created_at))
                post.like_count += 1
                topic.like_count += 1
    for user_id in {post.author_id for post in posts}:
        db.session.add(TopicWatch(user_id=user_id, topic_id=topic.id))


def _notify(user: User, kind: str, actor: User, post: Post, text: str) -> None:
    if user.id == actor.id:
        return
    db.session.add(
        Notification(
            user_id=user.id, kind=kind, actor_id=actor.id, topic_id=post.topic_id, post_id=post.id,
            message=f"{actor.display_name} {text}", url=f"/p/{post.id}", created_at=post.created_at,
        )
    )  # fmt: skip


def top_up_posts(target: int, seed: int = 1) -> int:
    """Add generated topics of ~20 replies until the forum holds ``target`` posts.

    Bulk inserts with precomputed counters: no ORM objects, no per-row flush, so
    100k posts load in seconds on SQLite. Commits after each batch.
    """
    missing = target - _count(Post)
    if missing <= 0:
        return 0
    rng = random.Random(seed + _count(Topic))
    corpus = CorpusGenerator(seed + _count(Topic), pool=_generated_bodies(rng))
    authors = list(
        db.session.scalars(
            sa.select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"), User.role.in_(("member", "mentor")))
        )
    )
    categories = list(
        db.session.scalars(sa.select(Category.id).where(Category.slug.in_(GENERATED_CATEGORIES)))
    )
    if not authors or not categories:
        raise click.ClickException("Load the base demo data first (run seed-demo without --posts).")
    now = utcnow()
    added = 0
    while added < missing:
        topic_rows, post_plans = [], []
        while len(topic_rows) < BATCH_TOPICS and added < missing:
            size = min(REPLIES_PER_GENERATED_TOPIC + 1, missing - added)
            start = now - timedelta(days=400) + timedelta(minutes=rng.randrange(393 * 24 * 60))
            plan = [(rng.choice(authors), start)]
            for _ in range(size - 1):
                plan.append((rng.choice(authors), plan[-1][1] + timedelta(minutes=rng.randrange(5, 240))))
            title = f"{rng.choice(_SUBJECTS)}: {rng.choice(_ANGLES)}"
            topic_rows.append(
                dict(
                    category_id=rng.choice(categories), author_id=plan[0][0], title=title,
                    slug=slugify(title), created_at=start, last_posted_at=plan[-1][1],
                    last_poster_id=plan[-1][0], post_count=size, highest_post_number=size,
                    view_count=rng.randrange(size, size * 40), like_count=0, locked=False,
                    pinned=False, hidden=False,
                )
            )  # fmt: skip
            post_plans.append(plan)
            added += size
        topic_ids = db.session.scalars(
            sa.insert(Topic).returning(Topic.id, sort_by_parameter_order=True), topic_rows
        ).all()
        post_rows = []
        for topic_id, plan in zip(topic_ids, post_plans, strict=True):
            for number, (author_id, when) in enumerate(plan, start=1):
                body, html = corpus.body()
                post_rows.append(
                    dict(
                        topic_id=topic_id, author_id=author_id, number=number, body=body, body_html=html,
                        created_at=when, revision_count=0, like_count=0, hidden=False, hidden_reason="",
                    )
                )  # fmt: skip
        db.session.execute(sa.insert(Post), post_rows)
        db.session.commit()
    return added


def demo_loaded() -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == PEOPLE[0].email)) is not None


def _print_logins() -> None:
    click.echo("\nDemo logins (all confirmed):")
    click.echo(f"  {'role':<10} {'email':<28} password")
    for person in PEOPLE:
        if person.role != "member" or person.username == "alice":
            click.echo(f"  {person.role:<10} {person.email:<28} {person.password}")
    others = ", ".join(p.username for p in PEOPLE if p.role == "member" and p.username != "alice")
    click.echo(f"  (members {others} also @{DEMO_DOMAIN} / {MEMBER_PASSWORD})")


@click.command("seed-demo")
@click.option("--posts", type=click.IntRange(min=0), default=0, help="Top the forum up to this many posts.")
@click.option("--once", is_flag=True, help="Do nothing if demo data is already loaded.")
@click.option(
    "--search-index/--no-search-index",
    default=True,
    help="Rebuild the search index afterwards (benchmarks that time the rebuild skip it).",
)
@with_appcontext
def seed_demo_command(posts: int, once: bool, search_index: bool) -> None:
    """Load demo organizations, users, categories and topics (safe to run twice)."""
    if "user_account" not in sa.inspect(db.engine).get_table_names():
        raise click.ClickException("The database has no tables yet: run `flask db upgrade` first.")
    if once and demo_loaded():
        click.echo("demo data already loaded")
        _print_logins()
        return
    started = time.perf_counter()
    added = seed_base()
    # --- Q&A demo data (owned by app/qa/demo.py) -----------------------------------
    from app.qa.demo import seed_qa_demo

    added["Q&A questions"] = seed_qa_demo()
    # ---------------------------------------------------------------------------------
    # --- referral demo data (owned by app/referrals/demo.py) -----------------
    from app.referrals.demo import seed_referral_demo

    added["referrals"] = seed_referral_demo()
    # ---------------------------------------------------------------------------------
    # Chat history, a flag in the queue, a suspended member, a pending join request.
    # Before the pictures, so the people it adds are there when avatars are handed out
    # and a second run finds nobody new to give one.
    added.update(seed_activity_demo(DEMO_DOMAIN, MEMBER_PASSWORD))
    # --- pictures: avatars and logos (owned by app/uploads/demo.py) ---------------------
    from app.uploads.demo import seed_upload_demo

    added["pictures"] = seed_upload_demo()
    # ---------------------------------------------------------------------------------
    # --- plug-ins' demo data (each enabled plug-in's seed_demo_data hook) ---------------
    for contributed in plugin_manager().hook.seed_demo_data():
        added.update(contributed or {})
    # ---------------------------------------------------------------------------------
    # --- directory demo data (owned by app/directory/directory_demo.py) ---------------
    # Last: it also rebuilds the directory's facet rows from everything seeded above.
    from app.directory.directory_demo import seed_directory_demo

    added["directory fields"] = seed_directory_demo()
    # ---------------------------------------------------------------------------------
    db.session.commit()
    summary = ", ".join(f"{count} {name}" for name, count in added.items())
    click.echo(f"Demo data: added {summary}.")
    if posts:
        generated = top_up_posts(posts)
        click.echo(f"Generated {generated} posts; the forum now holds {_count(Post)} posts.")
    if search_index:
        # Seeding writes rows directly, not through the services whose events queue
        # index updates: without this the demo's search box found nothing.
        from app.search import rebuild

        indexed = rebuild.reindex(current_app._get_current_object())
        click.echo(f"Search index: {sum(indexed.values())} documents.")
    click.echo(f"Done in {time.perf_counter() - started:.1f}s.")
    _print_logins()


def register(app: Flask) -> None:
    """Attach ``flask seed-demo`` to the app's CLI."""
    app.cli.add_command(seed_demo_command)
