"""A minimal plug-in used by the tests to exercise every kind of hook."""

from flask import Blueprint

from app.plugins import hookimpl

bp = Blueprint("sample_plugin", __name__, url_prefix="/sample")
EVENTS: list[tuple[str, object]] = []


@bp.get("/")
def index() -> str:
    return "sample plug-in page"


@hookimpl
def register_blueprints(app):
    app.register_blueprint(bp)


@hookimpl
def register_cli(cli):
    @cli.command("sample-hello")
    def hello() -> None:
        print("hello from the sample plug-in")


@hookimpl
def nav_items(actor):
    return [{"label": "Sample", "endpoint": "sample_plugin.index", "order": 50}]


@hookimpl
def template_panel(name, context):
    if name == "profile_sidebar":
        return '<section class="sample-panel">Sample panel</section>'
    return None


@hookimpl
def permission_rule(actor, action, obj):
    if action == "topic.create" and getattr(obj, "slug", "") == "frozen":
        return False
    if action == "sample.use":
        return True
    return None


@hookimpl
def user_registered(user):
    EVENTS.append(("user_registered", user))
