"""queries.merged_materials: one set of materials for several matters (一套材料)."""

import pytest

from yichuang.catalogue.queries import merged_materials

from .factories import MaterialFactory, MatterFactory, MatterMaterialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_matters():
    return MatterFactory(code="A"), MatterFactory(code="B")


def by_code(lines):
    return {line.material: line for line in lines}


def test_a_shared_material_appears_once_with_the_highest_counts(two_matters):
    a, b = two_matters
    id_card = MaterialFactory(code="ID", name="身份证")
    MatterMaterialFactory(matter=a, material=id_card, originals=1, copies=3)
    MatterMaterialFactory(matter=b, material=id_card, originals=2, copies=1)
    lines = merged_materials([a, b])
    assert len(lines) == 1
    line = lines[0]
    assert (line.material, line.name, line.originals, line.copies) == ("ID", "身份证", 2, 3)
    assert line.matters == ["A", "B"]
    assert line.needed_by == [("A", a.name), ("B", b.name)]


def test_lines_keep_the_order_first_met_matter_by_matter(two_matters):
    a, b = two_matters
    m1, m2, m3, m4 = (MaterialFactory(code=c) for c in ("M1", "M2", "M3", "M4"))
    MatterMaterialFactory(matter=a, material=m2, order=2)
    MatterMaterialFactory(matter=a, material=m1, order=1)
    MatterMaterialFactory(matter=b, material=m4, order=1)
    MatterMaterialFactory(matter=b, material=m2, order=2)
    MatterMaterialFactory(matter=b, material=m3, order=3)
    assert [line.material for line in merged_materials([a, b])] == ["M1", "M2", "M4", "M3"]
    assert [line.material for line in merged_materials([b, a])] == ["M4", "M2", "M3", "M1"]


def test_required_if_any_matter_requires_it_and_core_if_core_for_any(two_matters):
    a, b = two_matters
    shared, optional = MaterialFactory(code="S"), MaterialFactory(code="O")
    MatterMaterialFactory(matter=a, material=shared, required=False)
    MatterMaterialFactory(matter=b, material=shared, required=True, core=True)
    MatterMaterialFactory(matter=a, material=optional, required=False)
    lines = by_code(merged_materials([a, b]))
    assert lines["S"].required and lines["S"].core
    assert not lines["O"].required and not lines["O"].core


def test_deferrable_and_pledgeable_only_if_every_requiring_matter_allows(two_matters):
    a, b = two_matters
    both, one, pledge_both, pledge_one = (MaterialFactory(code=c) for c in ("D2", "D1", "P2", "P1"))
    MatterMaterialFactory(matter=a, material=both, deferrable=True)
    MatterMaterialFactory(matter=b, material=both, deferrable=True)
    MatterMaterialFactory(matter=a, material=one, deferrable=True)
    MatterMaterialFactory(matter=b, material=one, deferrable=False)
    MatterMaterialFactory(matter=a, material=pledge_both, pledgeable=True)
    MatterMaterialFactory(matter=b, material=pledge_both, pledgeable=True)
    MatterMaterialFactory(matter=a, material=pledge_one, pledgeable=True)
    MatterMaterialFactory(matter=b, material=pledge_one, pledgeable=False)
    lines = by_code(merged_materials([a, b]))
    assert lines["D2"].deferrable and not lines["D1"].deferrable
    assert lines["P2"].pledgeable and not lines["P1"].pledgeable
    assert not lines["D2"].pledgeable and not lines["P2"].deferrable


def test_an_optional_use_does_not_forbid_deferral_where_it_is_required(two_matters):
    a, b = two_matters
    material = MaterialFactory(code="X")
    MatterMaterialFactory(matter=a, material=material, required=True, deferrable=True)
    MatterMaterialFactory(matter=b, material=material, required=False, deferrable=False)
    (line,) = merged_materials([a, b])
    assert line.required and line.deferrable


def test_a_material_optional_everywhere_is_neither_deferrable_nor_pledgeable(two_matters):
    a, _ = two_matters
    MatterMaterialFactory(matter=a, material=MaterialFactory(code="X"), required=False, pledgeable=True)
    (line,) = merged_materials([a])
    assert not line.required and not line.deferrable and not line.pledgeable


def test_core_for_one_matter_means_not_deferrable(two_matters):
    a, b = two_matters
    material = MaterialFactory(code="X")
    MatterMaterialFactory(matter=a, material=material, core=True)
    MatterMaterialFactory(matter=b, material=material, deferrable=True)
    (line,) = merged_materials([a, b])
    assert line.core and not line.deferrable


def test_notes_are_kept_once_each(two_matters):
    a, b = two_matters
    material = MaterialFactory(code="X")
    MatterMaterialFactory(matter=a, material=material, notes="须在有效期内")
    MatterMaterialFactory(matter=b, material=material, notes="须在有效期内")
    c = MatterFactory(code="C")
    MatterMaterialFactory(matter=c, material=material, notes="加盖公章")
    (line,) = merged_materials([a, b, c])
    assert line.notes == ["须在有效期内", "加盖公章"]
    assert line.matters == ["A", "B", "C"]


def test_one_matter_gives_its_own_list_and_none_gives_nothing(two_matters):
    a, b = two_matters
    MatterMaterialFactory(matter=a, material=MaterialFactory(code="X"), originals=1, copies=2)
    (line,) = merged_materials([a])
    assert (line.originals, line.copies, line.matters) == (1, 2, ["A"])
    assert merged_materials([]) == []
    assert merged_materials([b]) == []


def test_merging_does_not_query_per_matter(two_matters, django_assert_num_queries):
    a, b = two_matters
    matters = [a, b, *(MatterFactory() for _ in range(5))]
    for matter in matters:
        MatterMaterialFactory(matter=matter, material=MaterialFactory())
    with django_assert_num_queries(1):
        assert len(merged_materials(matters)) == 7
