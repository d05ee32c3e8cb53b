"""Django's PostgreSQL backend, keeping the server's prepared statements across rollbacks
(``ENGINE = "amanah.core.postgresql"``, set by ``amanah.dbserver``)."""
