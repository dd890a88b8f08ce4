"""A sample plug-in giving user groups their own chat rooms (used by the chat tests).

``GROUPS`` maps a group id to its member ids; tests change it and call
``app.chat.channels.sync_scope`` as a real plug-in would after a membership change.
"""

from app.plugins import hookimpl

GROUPS: dict[int, set[int]] = {}


@hookimpl
def chat_channels_for(actor):
    user_id = getattr(actor, "id", None)
    return [
        {
            "scope_type": "sample_group",
            "scope_id": group_id,
            "name": f"Group {group_id}",
            "topic": "Members only",
        }
        for group_id, members in sorted(GROUPS.items())
        if user_id in members
    ]


@hookimpl
def chat_channel_members(scope_type, scope_id):
    if scope_type != "sample_group":
        return None
    return sorted(GROUPS.get(scope_id, set()))
