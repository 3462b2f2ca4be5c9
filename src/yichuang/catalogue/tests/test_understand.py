"""Query understanding rule by rule (catalogue.understand): no database, the synonyms and themes given."""

import pytest

from yichuang.catalogue.understand import (
    FILLER_WORDS,
    MAX_QUERY_LENGTH,
    Meaning,
    alternatives_of,
    normalise,
    pairs,
    parse,
    strip_fillers,
)


def concept_terms(understood) -> list[tuple]:
    """Each concept as the tuple of its meanings' terms (a theme as ("theme", pk))."""
    return [
        tuple(m.terms if m.life_event is None else ("theme", m.life_event) for m in c.meanings)
        for c in understood.concepts
    ]


def plain_terms(understood) -> set[str]:
    return {c.meanings[0].terms[0] for c in understood.concepts if not c.synonym}


# --- normalisation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ＫＴＶ", "ktv"),  # full-width letters from a Chinese input method
        ("开办企业？", "开办企业"),  # full-width question mark
        ("开办企业，需要什么材料。", "开办企业 需要什么材料"),
        ("  营业执照\u3000补办 ", "营业执照 补办"),  # ideographic space
        ("《营业执照》", "营业执照"),
        ("411624-XK-SCJG-001", "411624-xk-scjg-001"),  # a code keeps its hyphens
        ("a-", "a"),  # …but a hyphen not inside a code is punctuation
        ("\x00登记", "登记"),  # NUL, which PostgreSQL refuses in text
        ("%", ""),
        ("_", ""),
        ("１２３", "123"),
    ],
)
def test_normalise_folds_width_case_and_punctuation(raw, expected):
    assert normalise(raw) == expected


def test_normalise_cuts_long_queries():
    assert len(normalise("登" * 5000)) == MAX_QUERY_LENGTH
    assert normalise(None) == ""


# --- question and filler words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("开办企业需要什么材料", "开办企业"),
        ("营业执照怎么办理", "营业执照"),
        ("公司刻章在哪里办", "公司刻章"),
        ("请问我想办护照", "办护照"),
        ("社保卡丢了怎么补办", "社保卡丢 补办"),
        ("退休手续要多久", "退休"),
        ("开网吧", "开网吧"),  # 吧 of 网吧 is no particle
        ("开办企业", "开办企业"),  # 办 stays: 开办
    ],
)
def test_question_and_filler_words_are_cut(text, expected):
    assert strip_fillers(text) == expected


def test_filler_words_are_tried_longest_first():
    assert FILLER_WORDS.index("怎么办理") < FILLER_WORDS.index("怎么办") < FILLER_WORDS.index("怎么")
    assert parse("营业执照怎么办理", {}, {}).compact == "营业执照"  # not 营业执照理


# --- terms that do not depend on word order ----------------------------------------------------------


def test_word_order_does_not_matter():
    one, other = parse("开办企业", {}, {}), parse("企业开办", {}, {})
    assert {"开办", "企业"} <= plain_terms(one) and {"开办", "企业"} <= plain_terms(other)
    # The pair across the two words differs (办企 / 业开): the search leaves out a concept no matter meets.
    assert plain_terms(one) ^ plain_terms(other) == {"办企", "业开"}


def test_pairs_of_chinese_runs():
    assert pairs("营业执照") == ["营业", "业执", "执照"]
    assert pairs("登记") == ["登记"]


def test_latin_runs_stay_whole_and_single_characters_beside_words_are_dropped():
    understood = parse("qykb 开办 办", {}, {})
    assert plain_terms(understood) == {"qykb", "开办"}
    assert plain_terms(parse("税", {}, {})) == {"税"}  # a single character alone is the whole query


def test_a_question_of_only_filler_words_searches_for_them():
    assert plain_terms(parse("流程", {}, {})) == {"流程"}


def test_nothing_searchable_gives_no_concepts_but_remembers_something_was_typed():
    understood = parse("%", {}, {})
    assert understood.concepts == [] and understood.typed
    assert not parse("   ", {}, {})


# --- synonyms and themes -----------------------------------------------------------------------------


def test_a_synonym_becomes_one_concept_with_every_meaning():
    synonyms = {"营业执照": [("设立登记",), ("企业开办",)]}
    understood = parse("办营业执照", synonyms, {})
    assert concept_terms(understood) == [(("营业执照",), ("设立登记",), ("企业开办",))]
    assert understood.synonyms == ["营业执照"]
    assert understood.concepts[0].synonym


def test_a_meaning_of_several_words_needs_all_of_them():
    understood = parse("公积金提取需要什么材料", {"公积金提取": [("住房公积金", "提取")]}, {})
    assert concept_terms(understood) == [(("公积金提取",), ("住房公积金", "提取"))]


def test_the_longest_phrase_wins_and_the_rest_is_still_searched():
    synonyms = {"社保": [("社会保险",)], "社保卡": [("社会保障卡",)]}
    understood = parse("社保卡 补办", synonyms, {})
    assert concept_terms(understood) == [(("社保卡",), ("社会保障卡",)), (("补办",),)]


def test_a_theme_name_means_the_matters_under_it():
    understood = parse("开办企业需要什么材料", {}, {"开办企业": 7})
    assert understood.concepts[0].meanings == [Meaning(terms=("开办企业",)), Meaning(life_event=7)]
    assert understood.themes == ["开办企业"] and len(understood.concepts) == 1


def test_synonym_words_are_split_into_meanings_and_normalised():
    assert alternatives_of("设立登记，企业开办、住房公积金  提取;ＫＴＶ") == [
        ("设立登记",), ("企业开办",), ("住房公积金", "提取"), ("ktv",),
    ]  # fmt: skip
    assert alternatives_of("、、") == []


def test_hints_rank_by_the_whole_query_including_pairs_across_a_character():
    understood = parse("我想开个公司", {}, {})
    assert "开公" in understood.hints and "公司" in understood.hints
