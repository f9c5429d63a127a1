from django.apps import AppConfig


class KrewardConfig(AppConfig):
    name = "kreward"

    def ready(self) -> None:
        from customers.qr import WALLET_PREFIX
        from customers.services import register_scan_token_resolver

        from .wallet import customer_for_scan_token

        register_scan_token_resolver(WALLET_PREFIX, customer_for_scan_token)
