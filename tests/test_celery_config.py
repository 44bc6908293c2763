"""`task_acks_late` set for the whole project (`detect.celery_config`): in the Django settings a Celery app
loads with `config_from_object("django.conf:settings", namespace="CELERY")`, in a config module it loads
by name, or on the app itself. Read as Celery reads it: under a namespace only the new-style name counts."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

TASKS = '''
import requests
from celery import shared_task


@shared_task
def notify_partner(order_id):
    requests.post("https://partner.example.com/orders", json={"order": order_id})
'''

DJANGO_APP = '''
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
'''


def _findings(tmp_path: Path, files: dict):
    return project_findings(tmp_path, {"shop/__init__.py": "", "shop/tasks.py": TASKS, **files})


def test_django_settings_with_the_namespace(tmp_path):
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP,
        "shop/settings.py": "CELERY_BROKER_URL = 'amqp://'\nCELERY_TASK_ACKS_LATE = True\n",
    }) == [("tasks.py", "IDEM001", "medium")]


def test_settings_star_imported_from_a_base_module(tmp_path):
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP.replace('"shop.settings"', '"shop.config.prod"'),
        "shop/config/__init__.py": "",
        "shop/config/base.py": "CELERY_TASK_ACKS_LATE = True\n",
        "shop/config/prod.py": "from .base import *\nDEBUG = False\n",
    }) == [("tasks.py", "IDEM001", "medium")]


def test_an_old_name_under_a_namespace_does_nothing(tmp_path):
    # celery reads only new-style names under a prefix: `CELERY_ACKS_LATE` is not `task_acks_late`
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP,
        "shop/settings.py": "CELERY_ACKS_LATE = True\n",
    }) == []


def test_a_config_module_loaded_by_name(tmp_path):
    assert _findings(tmp_path, {
        "shop/celery.py": "from celery import Celery\n\napp = Celery('shop')\napp.config_from_object('shop.celeryconfig')\n",
        "shop/celeryconfig.py": "broker_url = 'amqp://'\ntask_acks_late = True\n",
    }) == [("tasks.py", "IDEM001", "medium")]


def test_every_app_of_the_package_must_ack_late(tmp_path):
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP,
        "shop/settings.py": "CELERY_TASK_ACKS_LATE = True\n",
        "shop/beat.py": "from celery import Celery\n\nbeat = Celery('beat')\n",
    }) == []


CONFIG_CLASSES = '''
import os


class ConfigBase:
    broker_url = os.environ.get("BROKER_URL", "redis://localhost:6379/0")
    task_acks_late = True
    worker_prefetch_multiplier = 1


class ConfigDev(ConfigBase):
    broker_url = "redis://localhost:6379/0"


class ConfigProd(ConfigBase):
    broker_url = "redis://redis:6379/0"


class ConfigEager:
    task_always_eager = True
'''

CLASS_APP = '''
import os

from celery import Celery

from shop.config import ConfigDev, ConfigProd

app = Celery("shop")
if os.environ.get("ENV") == "production":
    app.config_from_object(ConfigProd)
else:
    app.config_from_object(ConfigDev)
'''


def test_config_classes_imported_and_chosen_at_run_time(tmp_path):
    """`app.config_from_object(ConfigProd)`: a class whose base (same module) sets `task_acks_late`;
    of several picked at run time, each says so."""
    assert _findings(tmp_path, {"shop/celery.py": CLASS_APP, "shop/config.py": CONFIG_CLASSES}) == [
        ("tasks.py", "IDEM001", "medium")]


def test_one_config_class_without_a_late_ack_leaves_the_tasks_early(tmp_path):
    app = CLASS_APP.replace("ConfigDev, ConfigProd", "ConfigEager, ConfigProd").replace(
        "config_from_object(ConfigDev)", "config_from_object(ConfigEager)")
    assert _findings(tmp_path, {"shop/celery.py": app, "shop/config.py": CONFIG_CLASSES}) == []


def test_a_config_class_of_the_app_module_and_an_imported_config_module(tmp_path):
    in_app = ("from celery import Celery\n\n\nclass Config:\n    broker_url = 'amqp://'\n    task_acks_late = True\n\n\n"
              "app = Celery('shop')\napp.config_from_object(Config)\n")
    assert _findings(tmp_path, {"shop/celery.py": in_app}) == [("tasks.py", "IDEM001", "medium")]
    by_module = "from celery import Celery\n\nfrom shop import celeryconfig\n\napp = Celery('shop')\napp.config_from_object(celeryconfig)\n"
    assert _findings(tmp_path, {"shop/celery.py": by_module,
                                "shop/celeryconfig.py": "task_acks_late = True\n"}) == [("tasks.py", "IDEM001", "medium")]
    # a class that only mentions the setting in a method's body, or a comment, sets nothing
    commented = in_app.replace("    task_acks_late = True\n", "    # task_acks_late = True\n")
    assert _findings(tmp_path, {"shop/celery.py": commented}) == []
