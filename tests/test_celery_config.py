"""`task_acks_late` set for the whole project (`detect.celery_config`): in the Django settings a Celery app
loads with `config_from_object("django.conf:settings", namespace="CELERY")`, in a config module it loads
by name, or on the app itself. Read as Celery reads it (celery 5.7.0): under a namespace the namespaced,
the plain and the pre-4.0 name all count; without one the namespaced name does not."""

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


def test_an_old_name_under_a_namespace_counts(tmp_path):
    # celery looks `task_acks_late` up as `CELERY_TASK_ACKS_LATE`, `task_acks_late` and the pre-4.0
    # `CELERY_ACKS_LATE` (`ConfigurationView._to_keys`): geonode's settings say the old name
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP,
        "shop/settings.py": "CELERY_ACKS_LATE = True\n",
    }) == [("tasks.py", "IDEM001", "medium")]


def test_a_namespaced_name_without_the_namespace_does_nothing(tmp_path):
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP.replace(', namespace="CELERY"', ""),
        "shop/settings.py": "CELERY_TASK_ACKS_LATE = True\n",
    }) == []


def test_an_old_name_set_false_under_a_namespace_does_nothing(tmp_path):
    assert _findings(tmp_path, {
        "shop/celery.py": DJANGO_APP,
        "shop/settings.py": "CELERY_ACKS_LATE = False\n",
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


SETTINGS_DICT_APP = '''
import os

from celery import Celery

celery_app = Celery("shop", broker=os.environ.get("BROKER_URL"))

conf_update = {
    "task_serializer": "json",
    "task_acks_late": True,
    "worker_prefetch_multiplier": 1,
}
if os.environ.get("REDIS_TLS"):
    conf_update["broker_use_ssl"] = {"ssl_cert_reqs": "none"}

celery_app.conf.update(**conf_update)
'''

NAMESPACED_TASKS = '''
import requests

from shop.app.celery_app import celery_app


@celery_app.task(bind=True, queue="partners")
def notify_partner(self, order_id):
    requests.post("https://partner.example.com/orders", json={"order": order_id})
'''


def test_settings_as_keys_of_a_dict_the_app_is_updated_with(tmp_path):
    """`celery_app.conf.update(**conf_update)` of a dict display with `"task_acks_late": True` (fornax-cutouts)."""
    assert _findings(tmp_path, {"shop/app/__init__.py": "", "shop/app/celery_app.py": SETTINGS_DICT_APP}) == [
        ("tasks.py", "IDEM001", "medium")]


def test_a_key_set_false_does_nothing(tmp_path):
    app = SETTINGS_DICT_APP.replace('"task_acks_late": True', '"task_acks_late": False')
    assert _findings(tmp_path, {"shop/app/__init__.py": "", "shop/app/celery_app.py": app}) == []


def test_tasks_in_a_folder_without_init_belong_to_the_package(tmp_path):
    """`shop/jobs/tasks.py` with no `shop/jobs/__init__.py` is `shop.jobs.tasks`, a namespace portion of
    the `shop` package: its tasks run on the package's app, which acks late."""
    assert project_findings(tmp_path, {
        "shop/__init__.py": "",
        "shop/app/__init__.py": "",
        "shop/app/celery_app.py": SETTINGS_DICT_APP,
        "shop/jobs/tasks.py": NAMESPACED_TASKS,
    }) == [("tasks.py", "IDEM001", "medium")]
