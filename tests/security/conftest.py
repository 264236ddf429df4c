import pytest
from django.db import transaction

from .permission_table import make_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world per module; each test's own transaction rolls back to it (a savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield make_world()
        transaction.set_rollback(True)
