"""Account pages: register, confirm, sign in/out, password reset, profiles and roles.

Organization pages live in ``org_views`` on the same blueprint. Views parse forms, call
one service, commit once, and on a ``DomainError`` roll back and show the message.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import services, sessions
from app.accounts.forms import (
    ChangePasswordForm,
    ConfirmActionForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    RoleForm,
)
from app.accounts.organizations import find_invite
from app.accounts.places import REGIONS, country_code, country_name
from app.core.errors import DomainError
from app.core.permissions import can
from app.extensions import db, limiter
from app.plugins import fire, plugin_manager
from app.web import form_error, form_status, safe_next_url

bp = Blueprint("accounts", __name__)
# Templates show a stored country code by its name (``{{ user.country|country_name }}``).
bp.add_app_template_filter(country_name, "country_name")


def actor() -> Any:
    """The signed-in user (or Anonymous) as a plain object for services."""
    return current_user._get_current_object()


def start_session(user: Any, remember: bool = False) -> None:
    """Sign in on a fresh session so nothing from before login (CSRF token, ids) carries over.

    ``user`` carries the server-side session the service opened (``record_login``)
    and committed; its id is what the cookies will hold.
    """
    session.clear()
    login_user(user, remember=remember)


def _email_key() -> str:
    """Rate-limit key for the address a form names: normalised, so case and spacing
    variants share one budget, and hashed, so the limiter's storage holds no addresses."""
    raw = request.form.get("email", "")
    try:
        address = services.normalize_email(raw)
    except DomainError:
        address = " ".join(raw.split()).lower()
    return "email:" + hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()


# Emails sent on a visitor's request (confirmation links, password resets): limited per
# client and per address named, whether or not an account has that address, so the
# answer is the same for both and nobody can flood an inbox through the site.
email_per_client_limit = limiter.shared_limit(
    lambda: current_app.config["ACCOUNT_EMAIL_RATE_LIMIT"], scope="account-email-client", methods=["POST"]
)
email_per_address_limit = limiter.shared_limit(
    lambda: current_app.config["ACCOUNT_EMAIL_ADDRESS_RATE_LIMIT"],
    scope="account-email-address",
    key_func=_email_key,
    methods=["POST"],
)


# --- registration and confirmation -----------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("forums.latest"))
    invite_token = request.args.get("invite", "")
    invite = None
    if invite_token:
        try:
            invite = find_invite(invite_token)
        except DomainError:
            invite = None
    form = RegisterForm()
    closed = None if invite is not None else services.registration_refusal()
    if closed is not None:
        # Invitation only: say so plainly instead of a form that can only fail.
        return render_template("accounts/register.html", form=form, invite=None, closed=closed), (
            403 if request.method == "POST" else 200
        )
    if request.method == "GET" and invite is not None:
        form.email.data = invite.email
    if form.validate_on_submit():
        try:
            proven = invite is not None and services.normalize_email(form.email.data) == invite.email
            if proven:
                # The invitation link was emailed to this address: that confirms it.
                user = services.create_user(
                    form.email.data, form.display_name.data, form.password.data, confirmed=True
                )
                services.record_login(user)
            else:
                user = services.register_user(
                    form.email.data, form.display_name.data, form.password.data, form.confirm.data
                )
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            if proven:
                start_session(user)
                return redirect(url_for("accounts.accept_invite", token=invite_token))
            return render_template("accounts/check_email.html", email=user.email)
    return render_template("accounts/register.html", form=form, invite=invite), form_status()


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button, POST confirms: link scanners that prefetch must not use the token."""
    form = ConfirmActionForm()
    if form.validate_on_submit():
        try:
            user = services.confirm_email(token)
            # The emailed link proves the address: sign the new member in and show the
            # next steps instead of a sign-in form (a suspended account is not signed in).
            signed_in = not user.is_suspended
            if signed_in:
                services.record_login(user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            return render_template("accounts/token_problem.html", message=error.message, kind="confirm"), 400
        if not signed_in:
            flash("Thank you, your email address is confirmed.", "success")
            return redirect(url_for("accounts.login"))
        start_session(user)
        flash("Thank you, your email address is confirmed. Welcome!", "success")
        return redirect(url_for("accounts.welcome"))
    return render_template("accounts/confirm.html", form=form, token=token)


@bp.route("/confirm", methods=["GET", "POST"])
@email_per_client_limit
@email_per_address_limit
def resend_confirmation():
    form = EmailForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data)
        db.session.commit()
        flash(
            "If that address belongs to an account that still needs confirming, we have sent it a new link.",
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend.html", form=form), form_status()


# --- signing in and out ----------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    next_url = safe_next_url(request.args.get("next"), url_for("forums.latest"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm()
    show_resend = False
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
            services.record_login(user)
            db.session.commit()
        except services.LoginRefused as error:
            form_error(form, error, reraise_access=False)
            show_resend = error.reason == "unconfirmed"
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            start_session(user, remember=bool(form.remember.data))
            return redirect(next_url)
    return render_template(
        "accounts/login.html", form=form, next=request.args.get("next"), show_resend=show_resend
    ), form_status()


@bp.post("/logout")
def logout():
    user = actor()
    services.record_logout(user, user.get_id() if user.is_authenticated else None)
    db.session.commit()
    _end_browser_session()
    flash("You are signed out.", "info")
    return redirect(url_for("forums.latest"))


def _end_browser_session() -> None:
    # Clear first: logout_user() leaves a note in the session to delete the remember cookie.
    session.clear()
    logout_user()


@bp.post("/settings/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    form = ConfirmActionForm()
    if not form.validate_on_submit():
        return render_template("errors/error.html", code=400, message="The form has expired; try again."), 400
    ended = services.sign_out_everywhere(actor())
    db.session.commit()
    _end_browser_session()
    flash(f"You are signed out everywhere ({ended} browser{'' if ended == 1 else 's'}).", "info")
    return redirect(url_for("accounts.login"))


# --- passwords -------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@email_per_client_limit
@email_per_address_limit
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            "If that address has an account, we have sent it a link to choose a new password.",
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), form_status()


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.check_reset_token(token)
    except DomainError as error:
        return render_template("accounts/token_problem.html", message=error.message, kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        # A browser signed in as anyone is signed out after the reset: end its session
        # on the server too (the reset itself ends every session of the link's owner).
        signed_in = actor()
        session_id = signed_in.get_id() if signed_in.is_authenticated else None
        try:
            services.reset_password(token, form.password.data, form.confirm.data)
            services.record_logout(signed_in, session_id)
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            _end_browser_session()
            flash("Your password has been changed. Please sign in with the new one.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token), form_status()


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = actor()
        remembered = bool(
            request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        )
        try:
            services.change_password(user, form.current_password.data, form.password.data, form.confirm.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            # Every session ended; this browser continues on the fresh one the service opened.
            start_session(user, remember=remembered)
            flash("Your password has been changed. Other devices have been signed out.", "success")
            return redirect(url_for("accounts.profile", username=user.username))
    return render_template("accounts/change_password.html", form=form), form_status()


# --- profiles --------------------------------------------------------------------------


def _hidden_fields(user: Any, viewer: Any) -> set[str]:
    """Built-in fields the page keeps from ``viewer``: the directory owns the member's
    privacy choices and answers through ``profile_hidden_fields``."""
    hidden: set[str] = set()
    for answer in plugin_manager().hook.profile_hidden_fields(user=user, viewer=viewer):
        hidden.update(answer or [])
    return hidden


def _extra_form_values(user: Any) -> dict:
    """Profile-form fields another feature stores (``profile_form_values``)."""
    values: dict = {}
    for answer in plugin_manager().hook.profile_form_values(user=user):
        values.update(answer or {})
    return values


@bp.get("/u/<username>")
def profile(username: str):
    user = services.get_user_by_username(username)
    viewer = actor()
    role_form = None
    if can(viewer, "user.manage", user):
        role_form = RoleForm(data={"role": user.role})
    return render_template(
        "accounts/profile.html",
        user=user,
        viewer=viewer,
        hidden_fields=_hidden_fields(user, viewer),
        role_form=role_form,
        can_edit=can(viewer, "user.edit", user),
    )


@bp.post("/u/<username>/role")
@login_required
def set_role(username: str):
    user = services.get_user_by_username(username)
    form = RoleForm()
    if not form.validate_on_submit():
        return render_template("errors/error.html", code=400, message="Choose a role from the list."), 400
    try:
        services.set_role(actor(), user, form.role.data, form.reason.data or "")
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    flash(f"{user.display_name} is now a {user.role}.", "success")
    return redirect(url_for("accounts.profile", username=user.username))


def _join(values: list[str] | None) -> str:
    return ", ".join(values or [])


def _keep_legacy_choices(form: ProfileForm, user: Any) -> None:
    """A region or country typed before the lists existed stays selectable, so saving
    the profile never erases it silently."""
    if user.region and user.region not in REGIONS:
        form.region.choices = [*form.region.choices, (user.region, user.region)]
    if user.country and country_code(user.country) is None:
        form.country.choices = [*form.country.choices, (user.country, user.country)]


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = actor()
    form = ProfileForm()
    extra = _extra_form_values(user)
    _keep_legacy_choices(form, user)
    if request.method == "GET":
        form.display_name.data = user.display_name
        form.job_title.data = user.job_title
        form.region.data = user.region
        form.country.data = country_code(user.country) or user.country
        form.languages.data = _join(user.languages)
        form.specialisms.data = _join(user.specialisms)
        form.certifications.data = _join(extra.get("certifications"))
        form.industries.data = _join(extra.get("industries"))
        form.bio.data = user.bio
    if form.validate_on_submit():
        try:
            services.update_profile(
                user,
                user,
                display_name=form.display_name.data,
                bio=form.bio.data or "",
                job_title=form.job_title.data or "",
                region=form.region.data or "",
                country=form.country.data or "",
                languages=form.languages.data or "",
                specialisms=form.specialisms.data or "",
            )
            # Fields another feature stores (the directory's certifications and
            # industries) are saved by it, in this transaction.
            fire(
                "profile_form_saved",
                user=user,
                actor=user,
                values={
                    "certifications": form.certifications.data or "",
                    "industries": form.industries.data or "",
                },
            )
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            flash("Your profile has been saved.", "success")
            return redirect(url_for("accounts.profile", username=user.username))
    return render_template(
        "accounts/edit_profile.html",
        form=form,
        # Its own form (own CSRF token), never filled from the profile form's POST.
        sign_out_form=ConfirmActionForm(formdata=None),
        browsers=sessions.count_sessions(user),
    ), form_status()


from app.accounts import org_views, welcome  # noqa: E402,F401 - register their routes on ``bp``
