"""What every paged list shares: previous/next links, and the page count of a total.

Lists differ in what they hold (topics, hits, referrals, audit entries); these mixins
give each dataclass the same navigation, so a template's pager works on any of them.
"""

from __future__ import annotations


class PageLinks:
    """``has_prev`` / ``has_next`` for an object with ``page`` and ``pages``."""

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class CountedPage(PageLinks):
    """``pages`` from ``total`` and ``per_page`` (at least one page, even when empty)."""

    total: int
    per_page: int

    @property
    def pages(self) -> int:  # type: ignore[override]
        if not self.per_page:
            return 1
        return max((self.total + self.per_page - 1) // self.per_page, 1)
