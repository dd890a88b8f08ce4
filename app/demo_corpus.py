"""Generated forum text for sized demo data (``flask seed-demo --posts N``).

Why not repeat a small pool of bodies: over 150 distinct bodies, any two words of a
post matched ~5,500 of 100,000 posts, so search benchmarks measured a corpus no forum
has (SQLite FTS5 itself needed 33 ms a query there). Real partner forums name
customers, products, sites and versions, so most posts carry words that few others
share. Each post here gets its own sentences, built from word lists and from a
Zipf-distributed vocabulary of invented names, deterministic for a given seed.

Bodies are plain sentences, so their HTML is built here instead of rendering
Markdown per post (100k renders would dominate the seed); a test checks that it is
exactly what ``core.sanitize.render_markdown`` produces.
"""

from __future__ import annotations

import itertools
import random
from html import escape

_ONSETS = ["b", "br", "c", "d", "dr", "f", "g", "gr", "k", "l", "m", "n", "p", "qu", "r", "s", "st", "t", "tr", "v", "z"]  # fmt: skip
_VOWELS = ["a", "e", "i", "o", "u", "ae", "io", "ou"]
_CODAS = ["", "", "n", "r", "s", "x", "l", "nt", "rk", "th"]
NAME_COUNT = 20_000

_PRODUCTS = ["Sync", "Vault", "Portal", "Gateway", "Insight", "Connect", "Shield", "Flow", "Desk", "Edge"]


def _words(text: str) -> list[str]:
    return text.split()


def _phrases(text: str) -> list[str]:
    """Phrases separated by "|" or line breaks."""
    return [part.strip() for line in text.splitlines() for part in line.split("|") if part.strip()]


# Features are "<qualifier> <subject>" pairs (2,400 of them), so no phrase dominates.
_QUALIFIERS = _words("""
bulk scheduled delegated nightly shared regional encrypted offline tiered federated
automatic manual cached legacy hybrid granular batched incremental partial audited
branded staged pooled quarterly metered throttled mirrored signed versioned sandboxed
default custom inherited temporary archived global weighted verified guided remote
""")
_SUBJECTS = _words("""
export import backups reports alerts logging routing billing invoices quotas licences
provisioning onboarding approvals permissions roles policies retention migration failover
enrolment patching monitoring dashboards webhooks certificates mailboxes storage rollback
throttling branding consent tagging forecasting renewals discounts rebates payouts
escalations tickets handover auditing scanning sync imports templates notifications
""")
_PROBLEMS = _phrases("""
times out|drops connections|duplicates records|loses settings|rejects certificates|slows down
stops syncing|double bills|mislabels regions|skips approvals|ignores filters|crashes on upgrade
mangles accents|hangs at login|reorders columns|leaks memory|truncates exports|misses deadlines
rounds totals wrongly|resets passwords|floods the inbox|blocks the firewall|corrupts attachments
freezes the console|overwrites notes|rejects uploads|forgets filters|miscounts seats
""")
_CONDITIONS = _phrases("""
after the nightly job|behind a proxy|with more than fifty seats|on the trial tier|during month-end
when MFA is enforced|over satellite links|after a restore|with legacy browsers|right after provisioning
for shared devices|in read-only mode|on Mondays|under heavy load|after daylight saving|with two tenants
when the VPN reconnects|in the Spanish locale|on shared kiosks|after a licence change|during backups
with nested groups|behind a load balancer|after the spring update|with custom domains|on tablets
""")
_SECTORS = _phrases("""
hospital|school district|law firm|logistics company|council|retail chain|charity|manufacturer
university|clinic group|credit union|airline|brewery|museum|insurer|utility|shipping line|hotel group
pharmacy chain|architecture practice|football club|farm cooperative|port authority|dental group
accounting firm|fashion label|research institute|water board|bakery chain|film studio
""")
_REGIONS = ["EMEA", "APAC", "LATAM", "Nordics", "Benelux", "DACH", "Iberia", "Canada", "Australia", "Japan"]
_OUTCOMES = [
    "closed the deal", "renewed for three years", "asked for a pilot", "moved to the gold tier",
    "paused the rollout", "doubled their seats", "signed the pilot", "asked for references",
]  # fmt: skip
_TEMPLATES = [
    "{customer}, a {sector} in {region}, asked whether {product} supports {feature}.",
    "We rolled {product} out at {customer} and it {problem} {condition}.",
    "Has anyone seen {product} {problem} {condition}? Our contact at {customer} is waiting.",
    "{customer} runs {seats} seats and wants {feature} before the {region} launch.",
    "After {days} days with {product}, {customer} {outcome}.",
    "Tip: enable {feature} first, otherwise {product} {problem} {condition}.",
    "Our {sector} customers in {region} mostly care about {feature} and {feature2}.",
    "{name} from {customer} suggested testing {feature} on a {sector} sandbox first.",
    "The {product} connector at {customer} {problem}; {name} traced it to {feature}.",
    "Quick question for {region} partners: does {feature} count towards the tier targets?",
    "Workaround from {name}: switch off {feature} until {product} stops that.",
    "Pricing {feature} for a {sector} is tricky; {customer} compared us with {product}.",
    "Support closed our case about {feature} but {product} still {problem} {condition}.",
    "Lesson learned at {customer}: document {feature} before go-live.",
    "Which {sector} references do you use when pitching {feature} in {region}?",
    "Since the update, {feature} on {product} {problem} {condition}.",
    "{name} wrote a runbook for {feature}; happy to share it with {region} colleagues.",
    "Demo tonight at {customer}: {feature2} is the headline, {feature} the backup.",
]


def _names(rng: random.Random) -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < NAME_COUNT:
        syllables = rng.choice((2, 2, 3))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if 4 <= len(word) <= 14:
            seen[word.capitalize()] = None
    return list(seen)


class CorpusGenerator:
    """Post bodies as (markdown, html) pairs, each one different."""

    def __init__(self, seed: int, pool: list[tuple[str, str]] | None = None) -> None:
        self.rng = random.Random(seed)
        self.names = _names(self.rng)
        # Zipf-Mandelbrot: common names recur, but none is in more than ~2% of posts.
        self.weights = list(itertools.accumulate(1 / (rank + 50) for rank in range(1, len(self.names) + 1)))
        self.pool = pool or []

    def _name(self) -> str:
        return self.rng.choices(self.names, cum_weights=self.weights, k=1)[0]

    def sentence(self) -> str:
        rng = self.rng
        feature, feature2 = (f"{rng.choice(_QUALIFIERS)} {rng.choice(_SUBJECTS)}" for _ in range(2))
        return rng.choice(_TEMPLATES).format(
            customer=self._name()
            + " "
            + rng.choice(("Ltd", "Group", "Health", "Systems", "Partners", "Inc")),
            product=self._name() + " " + rng.choice(_PRODUCTS),
            name=self._name(),
            sector=rng.choice(_SECTORS),
            region=rng.choice(_REGIONS),
            feature=feature,
            feature2=feature2,
            problem=rng.choice(_PROBLEMS),
            condition=rng.choice(_CONDITIONS),
            outcome=rng.choice(_OUTCOMES),
            seats=rng.randrange(5, 5000),
            days=rng.randrange(2, 120),
        )

    def body(self) -> tuple[str, str]:
        """One post: two or three generated sentences, now and then after a pooled paragraph."""
        sentences = " ".join(self.sentence() for _ in range(self.rng.choice((2, 2, 3))))
        paragraph = f"<p>{escape(sentences, quote=False)}</p>\n"
        if self.pool and self.rng.random() < 0.1:
            markdown, html = self.rng.choice(self.pool)
            return f"{markdown}\n\n{sentences}", html + paragraph
        return sentences, paragraph
