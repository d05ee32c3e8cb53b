"""Area incidents (gangguan wilayah, issue 17): classified outage complaints grouped per service
area and category (``services``), resolved through the workflow engine, the pelanggan of the
area told through the messaging hub in batches (``notices``). Models in ``models`` (imported
by ``utility.models``; keep this module free of imports so that stays possible)."""
