"""Celery application: `celery -A loyalite worker` and `celery -A loyalite beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalite.settings")

app = Celery("loyalite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "expire-challenges": {"task": "fraud.tasks.expire_challenges", "schedule": 30.0},
    "sweep-webhook-deliveries": {"task": "webhooks.tasks.sweep_deliveries", "schedule": 30.0},
}
