from amanah.core.apps import AmanahAppConfig


class LedgerConfig(AmanahAppConfig):
    name = "amanah.ledger"
    label = "ledger"
    verbose_name = "Ledger"
