import uuid

import pytest

from amanah.core.sqlparams import id_text


def test_ids_are_comma_joined_and_an_empty_list_is_empty():
    first, second = uuid.uuid4(), uuid.uuid4()
    assert id_text([first, str(second)]) == f"{first},{second}"
    assert id_text([3, 10]) == "3,10"
    assert id_text([]) == ""


def test_an_id_holding_a_comma_is_refused_rather_than_split_in_two():
    with pytest.raises(ValueError):
        id_text(["1,2", "3"])
