"""The people of the load test (``python -m bench.load`` runs it; see there).

Three kinds of user, in the proportions of a working day at the desk:

- a coordinator reading the ledger (first pages, a colour, a search) and
  opening tasks;
- service staff on their phones: their week, the visit form, a past visit;
- a firm user on the portal: home, their obstacles, one obstacle's page.

Each user is logged in by a session cookie that ``bench.load`` created in
the database beforehand (``LOAD_PLAN``, a JSON file), and waits between pages
as a person reading does (``LOAD_WAIT``, ``min,max`` seconds). A page that is
not a 200 counts as an error, and so does a redirect (an expired session would
otherwise pass as a quick 302).
"""

from __future__ import annotations

import json
import os
import random

from locust import FastHttpUser, between, task

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as _f:
    PLAN = json.load(_f)
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("LOAD_WAIT", "1,2").split(","))


class Person(FastHttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    role = ""

    def on_start(self):
        self.me = random.choice(PLAN[self.role])
        self.cookie = {"Cookie": f"sessionid={self.me['session']}"}

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, headers=self.cookie, name=name, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")


class Coordinator(Person):
    weight = 2
    role = "coordinator"

    @task(4)
    def ledger(self):
        self.page("/ledger/", "/ledger/")

    @task(2)
    def ledger_filtered(self):
        query = random.choice(["?colour=red", "?colour=yellow", "?state=in_progress",
                               f"?page={random.randint(2, 40)}", "?q=用电"])
        self.page("/ledger/" + query, "/ledger/?filter")

    @task(3)
    def task_page(self):
        self.page(f"/tasks/{random.choice(PLAN['tasks'])}/", "/tasks/<id>/")


class Staff(Person):
    weight = 2
    role = "staff"

    @task(3)
    def my_week(self):
        self.page("/visits/", "/visits/")

    @task(1)
    def visit_form(self):
        self.page("/visits/new/", "/visits/new/")

    @task(2)
    def visit(self):
        if self.me["visits"]:
            self.page(f"/visits/{random.choice(self.me['visits'])}/", "/visits/<id>/")


class Firm(Person):
    weight = 1
    role = "firm"

    @task(2)
    def home(self):
        self.page("/portal/", "/portal/")

    @task(2)
    def obstacles(self):
        self.page("/portal/obstacles/", "/portal/obstacles/")

    @task(3)
    def obstacle(self):
        self.page(f"/portal/obstacles/{random.choice(self.me['obstacles'])}/",
                  "/portal/obstacles/<id>/")
