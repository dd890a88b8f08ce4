"""Partner-to-partner referrals: sending to one organization or a shortlist, the
accept → in progress → won/lost flow, timelines, notices and per-organization history
(blueprint ``referrals``). Its tables live in ``models.py``."""
