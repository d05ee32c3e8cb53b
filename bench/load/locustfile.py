"""The load mix: bank staff working the CRM at once (run by ``bench/load/run.py``).

Four of five simulated users are agents (CS) at a branch counter, one is the branch supervisor.
Each logs in once through the real login page as a user of its own branch and then loops,
waiting 0.1–0.5 s between actions (a busy desk, not a person reading):

agent (weight 4)                          supervisor (weight 1)
  30  search a customer                     20  open the SLA queue
      (2/3 by name as typed, 1/3 by             (remembers the cases on the page)
      phone or CIF)                         10  open a case from the queue
  25  open the Customer 360                  8  assign it to an agent of the branch
   5  open the 360 timeline tab              6  write the final response and close it
   8  register a complaint (case intake)
   4  record a consent change (granted /
      withdrawn, MARKETING, from the 360's
      marketing tab)

Searches, 360 pages and new cases use the customers of the user's own branch (``params.json``
written by ``prepare.py``). A 4xx answer to a supervisor action that the case's state refuses
(e.g. closing a case another supervisor just closed) is counted as "refused", not as an
error; every 5xx, connection error or timeout is an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from urllib.parse import urlsplit

from locust import FastHttpUser, between, events, task

from bench.load.forms import form_ending

PARAMS = json.loads(open(os.environ["LOAD_PARAMS"], encoding="utf-8").read())  # noqa: SIM115
_agents = itertools.cycle(
    [(b, u) for b in PARAMS["branches"] for u in b["agents"]]
)  # fmt: skip
_supervisors = itertools.cycle([(b, b["supervisor"]) for b in PARAMS["branches"]])
CASE_LINK = re.compile(r'href="(/cases/[0-9a-f-]{36}/)"')
REFUSED = {"count": 0}


# Every answer's start (epoch seconds) and time (ms), written at the end to LOAD_TIMES when
# set: run.py reads them for the figures after the warm-up (locust's own are the whole run's).
TIMES: list[tuple[float, float]] = []
WARM_UP_ONLY = {"login page", "login"}  # once per user, at the start


@events.request.add_listener
def _keep_time(start_time=None, response_time=0.0, name="", **_kw):
    if name not in WARM_UP_ONLY:
        TIMES.append((start_time or 0.0, response_time))


@events.quitting.add_listener
def _report_refused(environment, **_kw):
    print(f"load: refused (4xx on a state the case no longer allows): {REFUSED['count']}")
    if os.environ.get("LOAD_TIMES"):
        with open(os.environ["LOAD_TIMES"], "w", encoding="utf-8") as out:
            out.writelines(f"{start:.3f},{ms:.1f}\n" for start, ms in TIMES)


class Staff(FastHttpUser):
    """geventhttpclient instead of python-requests: the generator shares the two cores with
    the servers it measures, and takes several times less CPU per request this way."""

    abstract = True
    wait_time = between(0.1, 0.5)

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.client.cookiejar if c.name == name), "")

    def login(self, username: str) -> None:
        self.client.get("/login/", name="login page")
        data = {
            "csrfmiddlewaretoken": self.cookie("csrftoken"),
            "username": username,
            "password": PARAMS["password"],
        }
        response = self.client.post("/login/", data=data, name="login", allow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"login failed: HTTP {response.status_code}")

    def submit(self, page, suffix: str, name: str, refusable: bool = False, **values):
        """Submit the page's form whose action ends with ``suffix`` (a form without an action
        posts to the page itself, as a browser does); None when the page has no such form."""
        path = urlsplit(page.url).path
        form = form_ending(page.text, suffix, page_path=path)
        if form is None:
            return None
        with self.client.post(
            form.action,
            data=form.filled(**values),
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in (302, 303) or response.ok:
                response.success()
            elif refusable and 400 <= response.status_code < 500:
                REFUSED["count"] += 1
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
        return response


class Agent(Staff):
    weight = 4

    def on_start(self):
        self.branch, username = next(_agents)
        self.rng = random.Random()
        self.login(username)

    def customer(self) -> str:
        return self.rng.choice(self.branch["customers"])

    @task(20)
    def search_name(self):
        q = self.rng.choice(self.branch["queries"]["name"])
        self.client.get("/customers/", params={"q": q}, name="search (name)")

    @task(10)
    def search_identifier(self):
        kind = self.rng.choice(["phone", "cif"])
        q = self.rng.choice(self.branch["queries"][kind])
        self.client.get("/customers/", params={"q": q}, name="search (phone/CIF)")

    @task(25)
    def customer_360(self):
        self.client.get(f"/customers/{self.customer()}/", name="360 page")

    @task(5)
    def timeline(self):
        self.client.get(f"/customers/{self.customer()}/timeline/", name="360 timeline")

    @task(8)
    def register_complaint(self):
        url = f"/cases/new/{self.customer()}/"
        page = self.client.get(url, name="case intake form")
        self.submit(
            page,
            url,
            "case create",
            description="Nasabah melaporkan saldo terpotong dua kali saat transfer antarbank.",
            contact_preference="Telepon siang hari",
        )

    @task(4)
    def change_consent(self):
        page = self.client.get(
            f"/customers/{self.customer()}/", params={"tab": "marketing"}, name="360 consent tab"
        )
        self.submit(
            page,
            "/consent/",
            "consent change",
            consent_type="MARKETING",
            new_status=self.rng.choice(["GRANTED", "WITHDRAWN"]),
            reason="Permintaan nasabah di kantor cabang",
        )


class Supervisor(Staff):
    weight = 1

    def on_start(self):
        self.branch, username = next(_supervisors)
        self.rng = random.Random()
        self.cases: list[str] = []
        self.login(username)

    @task(20)
    def queue(self):
        page = self.client.get("/cases/queue/", name="case queue")
        self.cases = CASE_LINK.findall(page.text) or self.cases

    def open_case(self):
        if not self.cases:
            self.queue()
        if not self.cases:
            return None
        return self.client.get(self.rng.choice(self.cases), name="case detail")

    @task(10)
    def case_detail(self):
        self.open_case()

    @task(8)
    def assign(self):
        page = self.open_case()
        if page is None:
            return
        form = form_ending(page.text, "/assign/")
        if form and form.choices.get("assignee"):
            assignee = self.rng.choice([o for o in form.choices["assignee"] if o])
            self.submit(page, "/assign/", "case assign", refusable=True, assignee=assignee)

    @task(6)
    def respond_and_close(self):
        page = self.open_case()
        if page is None:
            return
        text = "Dana sudah dikembalikan ke rekening nasabah pada hari kerja berikutnya."
        answered = self.submit(
            page,
            "/final-response/",
            "final response",
            True,
            final_response=text,
            resolution_code="REFUND",
            confirm="on",
        )
        # Accepted is a redirect to the case. (Not ``if answered``: geventhttpclient's response
        # has a length, the empty body's, and no truth of its own — an accepted final response
        # was falsy, and no case was closed from 2026-11-25 to issue 53.)
        if answered is not None and answered.status_code in (302, 303):
            page = self.client.get(urlsplit(page.url).path, name="case detail")
            self.submit(page, "/close/", "case close", True, confirm="on")
