"""Import every core model so ``db.metadata`` is complete (Alembic, create_all)."""

from app.accounts.models import AuthToken, Organization, OrganizationInvite, User  # noqa: F401
from app.chat.models import ChatChannel, ChatMembership, ChatMessage  # noqa: F401
from app.core.settings import SiteSetting  # noqa: F401
from app.directory.models import (  # noqa: F401
    DirectoryFacet,
    DirectoryProfile,
    ProfileField,
    ProfileFieldValue,
)
from app.forums.models import (  # noqa: F401
    Category,
    CategoryWatch,
    Mention,
    Post,
    PostLike,
    PostRevision,
    Topic,
    TopicRead,
    TopicWatch,
)
from app.jobs.models import JobRun  # noqa: F401
from app.moderation.models import AuditEntry, Flag  # noqa: F401
from app.network.models import Connection, Follow  # noqa: F401
from app.notifications.models import Notification, NotificationKindPreference, NotificationPreference  # noqa: F401
from app.qa.models import (  # noqa: F401
    QAAcceptedAnswer,
    QACategory,
    QAComment,
    QAQuestionState,
    QAReputationEvent,
    QASetting,
    QATag,
    QATagFollow,
    QATopicTag,
    QAVote,
)
from app.referrals.models import Referral, ReferralEvent  # noqa: F401
from app.search.models import SearchDocument, SearchPending  # noqa: F401
from app.uploads.models import Upload  # noqa: F401
