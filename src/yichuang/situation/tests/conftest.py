import pytest


@pytest.fixture
def demo_guides(db):
    """The demo hall's catalogue and its published 企业开办 guide (through the demo loader, cases run)."""
    from yichuang.demo.hall import Tally, load_catalogue, load_hall, read_hall
    from yichuang.organisation.tests.factories import UserFactory
    from yichuang.situation.demo import load_guides

    load_hall(read_hall(), Tally())
    load_catalogue()
    admin = UserFactory(hall_admin=True)
    load_guides(actor=admin)
    return admin
