"""Upload forms: they check that a file came, services decide whether it is acceptable."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class PictureForm(FlaskForm):
    file = FileField("Picture", validators=[FileRequired("Choose an image file first.")])


class RemovePictureForm(FlaskForm):
    """Only the CSRF token: removing needs no input."""
