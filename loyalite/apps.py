from django.apps import AppConfig


class LoyaliteConfig(AppConfig):
    name = "loyalite"
    verbose_name = "Organisations"
