import pytest
import yaml

# The matters the guides' tests need: the two demo bundles with guides, and 用电报装申请 (an assisted project's).
BUNDLES = {"enterprise-opening", "second-hand-housing"}
EXTRA_MATTERS = {"411624-GG-GD-002"}


@pytest.fixture(scope="session")
def demo_catalogue_subset(tmp_path_factory):
    """The demo catalogue cut down to what these tests use (same rows, same import), written once per session: the
    whole one takes seconds to import, and dozens of tests load it."""
    from yichuang.demo.hall import CATALOGUE_PATH

    data = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    bundles = [b for b in data["bundles"] if b["code"] in BUNDLES]
    codes = {c for b in bundles for c in b["matters"]} | EXTRA_MATTERS
    matters = [m for m in data["matters"] if m["code"] in codes]
    materials = {r["material"] for m in matters for r in m.get("materials", [])}
    events = {e for m in matters for e in m.get("life_events", [])} | {b.get("life_event") for b in bundles}
    subset = {
        "format": data["format"],
        "life_events": [e for e in data["life_events"] if e["code"] in events],
        # every material: the guides' rules may name one that no matter of the subset lists (a rental contract)
        "materials": data["materials"],
        "matters": matters,
        "bundles": bundles,
        "synonyms": [],
    }
    assert materials <= {m["code"] for m in data["materials"]}
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.yaml"
    path.write_text(yaml.safe_dump(subset, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def demo_guides(db, demo_catalogue_subset):
    """The demo hall, the part of its catalogue the guides use, and its published guides (through the demo loader,
    their cases run)."""
    from yichuang.demo.hall import Tally, load_catalogue, load_hall, read_hall
    from yichuang.organisation.tests.factories import UserFactory
    from yichuang.situation.demo import load_guides

    load_hall(read_hall(), Tally())
    load_catalogue(demo_catalogue_subset)
    admin = UserFactory(hall_admin=True)
    load_guides(actor=admin)
    return admin
