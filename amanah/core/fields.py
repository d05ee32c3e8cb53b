from django.db import models


class CITextField(models.TextField):
    """PostgreSQL ``citext``: compares case-insensitively (usernames, emails; seed 003 Bab 13.2)."""

    def db_type(self, connection):
        return "citext"
