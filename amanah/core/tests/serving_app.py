"""A WSGI stand-in for ``test_serving``: served by a real gunicorn with ``amanah.gunicorn_conf``.

``/export`` streams ``EXPORT_ROWS`` CSV rows through ``core.exports.csv_response``, one every
``ROW_SECONDS`` (a large export, slowed down); ``/stuck`` answers only after ``STUCK_SECONDS``
without reporting progress (a query that hangs); anything else answers at once.
"""

import time

from amanah.core.exports import csv_response

EXPORT_ROWS = 24
ROW_SECONDS = 0.5
STUCK_SECONDS = 20


def _slow_rows():
    for number in range(EXPORT_ROWS):
        time.sleep(ROW_SECONDS)
        yield [number]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/export":
        response = csv_response("slow.csv", ["number"], _slow_rows())
        start_response("200 OK", list(response.items()))
        return response
    if path == "/stuck":
        time.sleep(STUCK_SECONDS)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
