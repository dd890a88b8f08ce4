"""The reference point for ``bench/pages.py``: the cheapest page Flask can serve.

One route returning a small HTML string, served by the same gunicorn settings as
Guildhall, so the ratio "Guildhall page / bare route" shows what the application adds
on top of the framework and server (templates, database, sessions, headers).

``/sized`` returns a body as large as a real forum page (about 20 KB): not a target
reference, but it separates the cost of moving the bytes from the cost of the app.
"""

from flask import Flask

app = Flask(__name__)

PAGE = "<!doctype html><html lang=en><title>bare</title><main><h1>Hello</h1><p>Bare Flask route.</p></main>"
SIZED_PAGE = PAGE.replace("</main>", "<p>" + "lorem ipsum dolor sit amet " * 740 + "</p></main>")


@app.get("/")
def index() -> str:
    return PAGE


@app.get("/sized")
def sized() -> str:
    return SIZED_PAGE
