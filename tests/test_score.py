"""Attribution scoring: B-cubed against hand-computed values and a brute-force oracle."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.synth.score import (
    Attribution,
    BCubed,
    ScoreReport,
    Truth,
    bcubed,
    false_attribution_rate,
    read_site_export,
    read_truth,
    score,
)

PROPERTY = settings(max_examples=300, deadline=None)

# truth {a,b,c} → X, {d,e} → Y; n = 5
FIVE = {"a.test": "X", "b.test": "X", "c.test": "X", "d.test": "Y", "e.test": "Y"}


def check(result: BCubed, precision: Fraction, recall: Fraction, items: int) -> None:
    f1 = 2 * precision * recall / (precision + recall)
    assert result.precision == pytest.approx(float(precision))
    assert result.recall == pytest.approx(float(recall))
    assert result.f1 == pytest.approx(float(f1))
    assert result.items == items


def oracle(truth: dict[str, str], predicted: dict[str, str | None]) -> tuple[Fraction, Fraction]:
    """B-cubed by the definition, O(n²), exact: the reference for the counting version."""
    items = list(truth)

    def cluster(item: str) -> set[str]:
        label = predicted.get(item)
        if label is None:
            return {item}
        return {other for other in items if predicted.get(other) == label}

    precision = recall = Fraction(0)
    for item in items:
        c = cluster(item)
        lab = {other for other in items if truth[other] == truth[item]}
        precision += Fraction(len(c & lab), len(c))
        recall += Fraction(len(c & lab), len(lab))
    return precision / len(items), recall / len(items)


# --- hand-computed clusterings --------------------------------------------------------------


def test_perfect_clustering_scores_one_whatever_the_ids() -> None:
    predicted: dict[str, str | None] = {
        "a.test": "p1",
        "b.test": "p1",
        "c.test": "p1",
        "d.test": "p2",
        "e.test": "p2",
    }
    assert bcubed(FIVE, predicted) == BCubed(precision=1.0, recall=1.0, f1=1.0, items=5)


def test_all_in_one_cluster() -> None:
    # P: a,b,c each 3/5; d,e each 2/5 → (3·3/5 + 2·2/5)/5 = 13/25. R = 1.
    # F = 2·(13/25)·1 / (13/25 + 1) = 26/38 = 13/19
    result = bcubed(FIVE, dict.fromkeys(FIVE, "all"))
    check(result, Fraction(13, 25), Fraction(1), 5)
    assert result.f1 == pytest.approx(13 / 19)


def test_all_singletons() -> None:
    # P = 1. R: a,b,c each 1/3; d,e each 1/2 → (3·1/3 + 2·1/2)/5 = k/n = 2/5. F = 4/7
    result = bcubed(FIVE, {item: item for item in FIVE})
    check(result, Fraction(1), Fraction(2, 5), 5)
    assert result.f1 == pytest.approx(4 / 7)


def test_one_true_cluster_split_in_two() -> None:
    # truth {a,b,c,d} → X, {e} → Y; predicted {a,b}, {c,d}, {e}
    # P = 1. R: a..d each 2/4, e 1 → (4·1/2 + 1)/5 = 3/5. F = 2·3/5 / (8/5) = 3/4
    truth = {"a.test": "X", "b.test": "X", "c.test": "X", "d.test": "X", "e.test": "Y"}
    predicted: dict[str, str | None] = {
        "a.test": "p",
        "b.test": "p",
        "c.test": "q",
        "d.test": "q",
        "e.test": "r",
    }
    result = bcubed(truth, predicted)
    check(result, Fraction(1), Fraction(3, 5), 5)
    assert result.f1 == pytest.approx(3 / 4)


def test_two_true_clusters_merged() -> None:
    # truth {a,b} → X, {c} → Y, {d,e,f} → Z; predicted {a,b,c}, {d,e,f}
    # P: a,b each 2/3; c 1/3; d,e,f 1 → (4/3 + 1/3 + 3)/6 = 7/9. R = 1. F = 2·7/9 / (16/9) = 7/8
    truth = {
        "a.test": "X",
        "b.test": "X",
        "c.test": "Y",
        "d.test": "Z",
        "e.test": "Z",
        "f.test": "Z",
    }
    predicted: dict[str, str | None] = {
        "a.test": "p",
        "b.test": "p",
        "c.test": "p",
        "d.test": "q",
        "e.test": "q",
        "f.test": "q",
    }
    result = bcubed(truth, predicted)
    check(result, Fraction(7, 9), Fraction(1), 6)
    assert result.f1 == pytest.approx(7 / 8)


def test_a_split_and_a_merge_at_once() -> None:
    # truth {a,b,c} → X, {d,e} → Y; predicted {a,b}, {c,d,e}
    # P: a,b 1; c 1/3; d,e 2/3 → (2 + 1/3 + 4/3)/5 = 11/15
    # R: a,b 2/3; c 1/3; d,e 1 → (4/3 + 1/3 + 2)/5 = 11/15. F = 11/15
    predicted: dict[str, str | None] = {
        "a.test": "p",
        "b.test": "p",
        "c.test": "q",
        "d.test": "q",
        "e.test": "q",
    }
    check(bcubed(FIVE, predicted), Fraction(11, 15), Fraction(11, 15), 5)


def test_unattributed_items_are_singletons_not_one_cluster() -> None:
    # truth {a,b} → X, {c,d} → Y, all unattributed (None or missing): four singletons.
    # P = 1 (a shared "None" cluster would give 1/2). R = (4·1/2)/4 = 1/2
    truth = {"a.test": "X", "b.test": "X", "c.test": "Y", "d.test": "Y"}
    predicted: dict[str, str | None] = {"a.test": None, "c.test": None}
    check(bcubed(truth, predicted), Fraction(1), Fraction(1, 2), 4)


def test_unattributed_item_beside_a_cluster() -> None:
    # truth {a,b,c} → X; predicted a,b → p, c missing: clusters {a,b}, {c}
    # P = 1. R: a,b 2/3; c 1/3 → (4/3 + 1/3)/3 = 5/9
    truth = {"a.test": "X", "b.test": "X", "c.test": "X"}
    check(bcubed(truth, {"a.test": "p", "b.test": "p"}), Fraction(1), Fraction(5, 9), 3)


def test_predicted_items_outside_truth_are_ignored() -> None:
    # z is not in truth: it neither counts nor enlarges {a,b}'s cluster → P = R = 1
    truth = {"a.test": "X", "b.test": "X"}
    predicted: dict[str, str | None] = {"a.test": "p", "b.test": "p", "z.example": "p"}
    assert bcubed(truth, predicted) == BCubed(precision=1.0, recall=1.0, f1=1.0, items=2)


def test_empty_truth_is_vacuously_perfect() -> None:
    assert bcubed({}, {"a.test": "p"}) == BCubed(precision=1.0, recall=1.0, f1=1.0, items=0)


def test_many_items_in_linear_time() -> None:
    # a pairwise version would need 4·10¹⁰ comparisons here; counting takes well under a second.
    # truth i mod 1000 (clusters of 200), predicted i mod 2000 (pure halves) → P = 1, R = 1/2
    n = 200_000
    truth = {f"s{i}.test": f"t{i % 1000}" for i in range(n)}
    predicted: dict[str, str | None] = {f"s{i}.test": f"p{i % 2000}" for i in range(n)}
    result = bcubed(truth, predicted)
    assert (result.precision, result.recall, result.items) == (1.0, 0.5, n)


# --- properties against the brute-force oracle ----------------------------------------------

SITES = [f"s{i}.test" for i in range(12)]


@st.composite
def clusterings(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str | None]]:
    items = draw(st.lists(st.sampled_from(SITES), min_size=1, unique=True))
    truth = {item: draw(st.sampled_from("XYZW")) for item in items}
    extra = draw(st.lists(st.sampled_from([f"x{i}.example" for i in range(3)]), unique=True))
    covered = draw(st.lists(st.sampled_from(items + extra), unique=True))
    predicted = {item: draw(st.sampled_from(["p", "q", "r", "X", None])) for item in covered}
    return truth, predicted


@PROPERTY
@given(clusterings())
def test_counting_matches_the_definition(
    case: tuple[dict[str, str], dict[str, str | None]],
) -> None:
    truth, predicted = case
    result = bcubed(truth, predicted)
    precision, recall = oracle(truth, predicted)
    assert result.precision == pytest.approx(float(precision))
    assert result.recall == pytest.approx(float(recall))
    assert result.f1 == pytest.approx(float(2 * precision * recall / (precision + recall)))
    assert result.items == len(truth)


@PROPERTY
@given(clusterings())
def test_bounds_and_when_scores_are_perfect(
    case: tuple[dict[str, str], dict[str, str | None]],
) -> None:
    truth, predicted = case
    result = bcubed(truth, predicted)
    assert 0 < result.precision <= 1
    assert 0 < result.recall <= 1
    labels = {item: predicted.get(item) for item in truth}
    pure = all(
        len({truth[i] for i in truth if labels[i] == label}) == 1
        for label in set(labels.values()) - {None}
    )
    groups = [[i for i in truth if truth[i] == true] for true in set(truth.values())]
    # whole: a lone item always is; otherwise every member shares one real predicted id
    whole = all(
        len(group) == 1 or (len({labels[i] for i in group}) == 1 and labels[group[0]] is not None)
        for group in groups
    )
    assert (result.precision == 1.0) == pure
    assert (result.recall == 1.0) == whole


@PROPERTY
@given(clusterings(), st.permutations(["p", "q", "r", "X"]))
def test_renaming_predicted_ids_changes_nothing(
    case: tuple[dict[str, str], dict[str, str | None]], names: list[str]
) -> None:
    truth, predicted = case
    rename = dict(zip(["p", "q", "r", "X"], (f"brand-{name}" for name in names), strict=True))
    renamed = {item: None if v is None else rename[v] for item, v in predicted.items()}
    assert bcubed(truth, renamed) == bcubed(truth, predicted)


@PROPERTY
@given(clusterings())
def test_swapping_truth_and_prediction_swaps_precision_and_recall(
    case: tuple[dict[str, str], dict[str, str | None]],
) -> None:
    truth, predicted = case
    full = {item: predicted.get(item) or f"own-{item}" for item in truth}  # no None
    forward = bcubed(truth, dict(full))
    backward = bcubed(full, dict(truth))
    assert forward.precision == pytest.approx(backward.recall)
    assert forward.recall == pytest.approx(backward.precision)


# --- false attribution ------------------------------------------------------------------------


def test_false_attribution_counts_attributed_non_commercial_sites() -> None:
    non_commercial = ["a.example", "b.example", "c.example", "a.example"]  # a twice: once
    predicted: dict[str, str | None] = {"a.example": "p", "b.example": None, "d.test": "q"}
    assert false_attribution_rate(non_commercial, predicted) == (1, 3)
    assert false_attribution_rate([], predicted) == (0, 0)


def test_report_rate_is_zero_without_non_commercial_sites() -> None:
    perfect = BCubed(precision=1.0, recall=1.0, f1=1.0, items=0)
    report = ScoreReport(perfect, perfect, 0, 0, 0, 0, 0)
    assert report.false_attribution_rate == 0.0
    assert ScoreReport(perfect, perfect, 1, 4, 0, 0, 0).false_attribution_rate == 0.25


# --- site export ------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_csv_with_blanks_nulls_and_extra_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sites.csv",
        "\ufeff distributor_id ,notes,site,brand_id\n"
        "d1,x,a.test,b1\n"
        "\n"
        ",,b.test,  \n"
        "null,,c.example,b2\n"
        "d2,,d.test\n",  # short row: brand_id blank
    )
    export = read_site_export(path)
    assert export.brand == {"a.test": "b1", "b.test": None, "c.example": "b2", "d.test": None}
    assert export.distributor == {"a.test": "d1", "b.test": None, "c.example": None, "d.test": "d2"}


def test_reads_json_lines(tmp_path: Path) -> None:
    lines = [
        {"site": "a.test", "brand_id": "b1", "distributor_id": "d1", "score": 0.9},
        {"site": "b.test", "brand_id": None, "distributor_id": ""},
        {"site": "c.example", "brand_id": 7, "distributor_id": None},
    ]
    text = "\n".join(orjson.dumps(line).decode() for line in lines) + "\n\n"
    for name in ("sites.jsonl", "sites.json-lines", "sites.export"):
        export = read_site_export(write(tmp_path / name, "  \n" + text))
        assert export.brand == {"a.test": "b1", "b.test": None, "c.example": "7"}
        assert export.distributor == {"a.test": "d1", "b.test": None, "c.example": None}


def test_sniffs_csv_without_a_known_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "sites.txt", "site,brand_id,distributor_id\na.test,b1,d1\n")
    assert read_site_export(path) == Attribution({"a.test": "b1"}, {"a.test": "d1"})


def test_empty_json_lines_is_an_empty_export(tmp_path: Path) -> None:
    assert read_site_export(write(tmp_path / "sites.jsonl", "")) == Attribution({}, {})


def test_missing_csv_column_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "sites.csv", "site,brand\na.test,b1\n")
    with pytest.raises(ValueError, match="missing column 'brand_id'") as info:
        read_site_export(path)
    assert str(path) in str(info.value)
    assert "line 1" in str(info.value)


def test_missing_json_lines_column_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sites.jsonl",
        '{"site": "a.test", "brand_id": "b1", "distributor_id": null}\n'
        '{"site": "b.test", "brand": "b1", "distributor_id": null}\n',
    )
    with pytest.raises(ValueError, match=r"line 2: missing column 'brand_id'"):
        read_site_export(path)


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sites.jsonl",
        '{"site": "a.test", "brand_id": "b1", "distributor_id": null}\n'
        "\n"
        '{"site": "b.test", "brand_id": \n',
    )
    with pytest.raises(ValueError, match=r"line 3: bad JSON") as info:
        read_site_export(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('["a.test", "b1", null]\n', "line 1: expected a JSON object"),
        ('{"site": "a.test", "brand_id": ["b1"], "distributor_id": null}\n', "brand_id must be"),
        ('{"site": " ", "brand_id": "b1", "distributor_id": null}\n', "line 1: blank site"),
    ],
)
def test_json_lines_value_errors(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        read_site_export(write(tmp_path / "sites.jsonl", text))


def test_csv_blank_site_and_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "sites.csv", "site,brand_id,distributor_id\na.test,b1,\n,b2,\n")
    with pytest.raises(ValueError, match="line 3: blank site"):
        read_site_export(path)
    with pytest.raises(ValueError, match="no header row"):
        read_site_export(write(tmp_path / "empty.csv", ""))


def test_a_site_twice_must_agree(tmp_path: Path) -> None:
    header = "site,brand_id,distributor_id\n"
    same = write(tmp_path / "same.csv", header + "a.test,b1,d1\na.test,b1,d1\n")
    assert read_site_export(same) == Attribution({"a.test": "b1"}, {"a.test": "d1"})
    clash = write(tmp_path / "clash.csv", header + "a.test,b1,d1\na.test,b2,d1\n")
    with pytest.raises(ValueError, match=r"line 3: site 'a\.test' listed again"):
        read_site_export(clash)


# --- truth file and the whole score -----------------------------------------------------------

WORLD = {
    "meta": {"seed": 7, "generator": "test"},
    "distributors": [{"id": "D1"}, {"id": "D2"}],
    "brands": [{"id": "B1"}, {"id": "B2"}, {"id": "B3"}],
    "sites": {
        "a.test": {"brand": "B1", "distributor": "D1", "commercial": True, "role": "shop"},
        "b.test": {"brand": "B1", "distributor": "D1", "commercial": True, "role": "mirror"},
        "c.test": {"brand": "B2", "distributor": "D1", "commercial": True, "role": "shop"},
        "d.test": {"brand": "B3", "distributor": "D2", "commercial": True, "role": "shop"},
        "e.test": {"brand": None, "distributor": "D2", "commercial": True, "role": "landing"},
        "n1.example": {"brand": None, "distributor": None, "commercial": False, "role": "forum"},
        "n2.example": {"brand": None, "distributor": None, "commercial": False, "role": "host"},
    },
    "urls": {"http://a.test/shop": {"site": "a.test"}},
}

EXPORT = """site,brand_id,distributor_id
a.test,p1,q1
b.test,p1,q1
c.test,p1,q1
d.test,p2,q2
e.test,,
n1.example,p3,
n2.example,,
zz.test,p1,q1
"""


def test_truth_file_read_back(tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    path.write_bytes(orjson.dumps(WORLD))
    truth = read_truth(path)
    assert truth == Truth(
        brand={"a.test": "B1", "b.test": "B1", "c.test": "B2", "d.test": "B3", "e.test": None},
        distributor={
            "a.test": "D1",
            "b.test": "D1",
            "c.test": "D1",
            "d.test": "D2",
            "e.test": "D2",
        },
        non_commercial=frozenset({"n1.example", "n2.example"}),
    )


def test_score_against_an_export(tmp_path: Path) -> None:
    truth_path = tmp_path / "truth.json"
    truth_path.write_bytes(orjson.dumps(WORLD))
    report = score(read_truth(truth_path), read_site_export(write(tmp_path / "sites.csv", EXPORT)))
    # brand, commercial a..e: truth {a,b}, {c}, {d}, {e} alone (no brand);
    # predicted {a,b,c}, {d}, e unattributed; zz is not in the truth, ignored.
    # P: a,b 2/3; c 1/3; d 1; e 1 → (4/3 + 1/3 + 2)/5 = 11/15. R = 1. F = 22/26 = 11/13
    check(report.brand, Fraction(11, 15), Fraction(1), 5)
    # distributor: truth {a,b,c}, {d,e}; predicted {a,b,c}, {d}, e unattributed
    # P = 1. R: a,b,c 1; d,e 1/2 → (3 + 1)/5 = 4/5. F = 8/9
    check(report.distributor, Fraction(1), Fraction(4, 5), 5)
    assert report.distributor.f1 == pytest.approx(8 / 9)
    # n1 got a brand, n2 nothing → 1 of 2
    assert (report.non_commercial_attributed, report.non_commercial) == (1, 2)
    assert report.false_attribution_rate == 0.5
    assert (report.commercial, report.commercial_unattributed, report.unknown_sites) == (5, 1, 1)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "top level is not a JSON object"),
        (b'{"meta": {}}', "sites missing"),
        (b'{"sites": []}', "sites is not a JSON object"),
        (b'{"sites": {"a.test": {"brand": "B1"}}}', "'a.test': commercial must be true or false"),
        (b'{"sites": {"a.test": {"commercial": true, "brand": 3}}}', "brand must be a string"),
    ],
)
def test_truth_file_errors(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "truth.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=reason) as info:
        read_truth(path)
    assert f"truth file {path}" in str(info.value)
