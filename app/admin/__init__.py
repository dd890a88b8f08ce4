"""The admin area (/admin): dashboard, users, organizations, site settings, email,
plug-ins and the audit log. Administrators only; plug-ins add their own pages through
the ``admin_pages`` hook. Every change goes through a service that records an entry in
the audit log (``app.moderation.services.record_audit``)."""
