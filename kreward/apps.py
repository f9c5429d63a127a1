from django.apps import AppConfig


class KrewardConfig(AppConfig):
    name = "kreward"
