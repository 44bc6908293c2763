"""An enqueue of a project task is a side effect only when the task's own work is: a redelivered
message enqueues the task again, and a second run of a task that only reads, overwrites by key or
logs repeats nothing. The task must be found in the project (a Celery task, a dramatiq actor, an
actor made by `dramatiq.actor(Task())`, or a Celery task named by its default name written out);
one not found stays an effect."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

HEAD = '''
import dramatiq
import redis
import requests

cache = redis.Redis()
'''

REFRESH = '''
@dramatiq.actor
def follow_up(user_id):
    profile = requests.get(f"https://users.internal/{user_id}", timeout=10).json()
    cache.set(f"profile:{user_id}", profile["name"])
'''

POST = '''
@dramatiq.actor
def follow_up(user_id):
    requests.post("https://audit.internal/events", json={"user": user_id}, timeout=10)
'''

CONSUMER = '''
@dramatiq.actor(queue_name="users")
def on_user_changed(user_id):
    follow_up.send(user_id)
'''

OBJECT_ACTOR = '''
class RefreshTask:
    def __call__(self, user_id):
        cache.set(f"seen:{user_id}", "1")


follow_up = dramatiq.actor(RefreshTask())
'''


def test_enqueue_of_a_task_that_only_overwrites_is_silent(tmp_path: Path):
    assert project_findings(tmp_path, {"worker.py": HEAD + REFRESH + CONSUMER}) == []


def test_enqueue_of_an_actor_made_from_an_object_that_overwrites_is_silent(tmp_path: Path):
    assert project_findings(tmp_path, {"worker.py": HEAD + OBJECT_ACTOR + CONSUMER}) == []


def test_enqueue_of_a_task_that_posts_is_an_effect(tmp_path: Path):
    # the enqueue in `on_user_changed`, and the POST in the follow-up actor itself
    found = project_findings(tmp_path, {"worker.py": HEAD + POST + CONSUMER})
    assert found == [("worker.py", "IDEM001", "medium"), ("worker.py", "IDEM001", "medium")]


NAMED = '''
from celery import Celery

app = Celery("users", broker="redis://redis:6379/0")


@app.task(acks_late=True)
def on_user_changed(user_id):
    app.send_task("tasks.refresh_profile", args=[user_id])
'''


def test_enqueue_of_a_task_named_by_a_string_is_a_weak_effect(tmp_path: Path):
    # the task queue gives the new message an id of its own: the harm is the second run of a task the
    # tool cannot read (work out of view, as a hand-off is), so the finding is low
    assert project_findings(tmp_path, {"worker.py": NAMED}) == [("worker.py", "IDEM001", "low")]


TASKS = '''
import redis
import requests
from celery import Celery

app = Celery("svc", broker="redis://redis:6379/0")
cache = redis.Redis()


@app.task
def refresh_profile(user_id):
    profile = requests.get(f"https://users.internal/{user_id}", timeout=10).json()
    cache.set(f"profile:{user_id}", profile["name"])


@app.task
def audit_change(user_id):
    requests.post("https://audit.internal/events", json={"user": user_id}, timeout=10)
'''

BY_NAME = '''
from svc.tasks import app


@app.task(acks_late=True)
def on_user_changed(user_id):
    app.send_task("svc.tasks.{task}", args=[user_id])
'''


def test_enqueue_by_the_task_default_name_of_a_task_that_overwrites_is_silent(tmp_path: Path):
    # a Celery task's default name is its module's dotted path and the function's name: the string
    # names `svc.tasks.refresh_profile`, whose second run only reads and overwrites a cache key
    files = {"svc/__init__.py": "", "svc/tasks.py": TASKS, "svc/consumer.py": BY_NAME.format(task="refresh_profile")}
    assert [f for f in project_findings(tmp_path, files) if f[0] == "consumer.py"] == []


def test_enqueue_by_the_task_default_name_of_a_task_that_posts_is_an_effect(tmp_path: Path):
    # (low: the module enqueues through the project's `app`, it does not import Celery itself)
    files = {"svc/__init__.py": "", "svc/tasks.py": TASKS, "svc/consumer.py": BY_NAME.format(task="audit_change")}
    assert [f for f in project_findings(tmp_path, files) if f[0] == "consumer.py"] == [
        ("consumer.py", "IDEM001", "low")]
