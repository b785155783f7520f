"""``pieces`` (articulation points of the node-value graph) against a brute-force oracle:
remove the value, union everything else, and group its carriers by component."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.attribution.pieces import Pieces, pieces


def _oracle(units: list[list[int]], own: list[int], at: int) -> list[tuple[list[int], bool]]:
    parent = list(range(len(own)))

    def find(node: int) -> int:
        while parent[node] != node:
            node = parent[node]
        return node

    for i, carriers in enumerate(units):
        if i == at:
            continue
        for other in carriers[1:]:
            a, b = find(carriers[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    used = {node for i, carriers in enumerate(units) if i != at for node in carriers}
    groups: dict[int, list[int]] = {}
    for node in units[at]:
        groups.setdefault(find(node), []).append(node)
    answer = []
    for root, carriers in groups.items():
        members = [n for n in range(len(own)) if find(n) == root and (n in used or n in carriers)]
        answer.append((sorted(carriers), len(members) >= 2 or sum(own[n] for n in members) > 0))
    return sorted(answer)


def _graphs(
    most_nodes: int, largest_unit: int, most_units: int
) -> st.SearchStrategy[tuple[list[list[int]], list[int]]]:
    """Units (the carrier nodes of each value) over a few nodes, and each node's own count."""
    return st.integers(2, most_nodes).flatmap(
        lambda n: st.tuples(
            st.lists(
                st.lists(st.integers(0, n - 1), min_size=2, max_size=largest_unit),
                max_size=most_units,
            ),
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
        )
    )


def _shape(found: list[Pieces]) -> list[list[tuple[list[int], bool]]]:
    return [
        sorted((sorted(c), s) for c, s in zip(p.carriers, p.standing, strict=True)) for p in found
    ]


@settings(max_examples=300, deadline=None)
@given(_graphs(12, 5, 10))
def test_pieces_equal_the_brute_force_answer(case: tuple[list[list[int]], list[int]]) -> None:
    units, own = case
    found = pieces(units, own)
    assert len(found) == len(units)
    for at, mine in enumerate(_shape(found)):
        assert mine == _oracle(units, own, at), (units, own, at)


def test_a_value_between_two_brands_splits_them_and_one_inside_a_brand_does_not() -> None:
    # nodes 0-1 share a name, 2-3 share another; value 2 ties 1 and 2, value 3 sits on 0 and 1
    units = [[0, 1], [2, 3], [1, 2], [0, 1]]
    found = pieces(units, [0, 0, 0, 0])
    assert sorted(map(sorted, found[2].carriers)) == [[1], [2]]
    assert found[2].standing == [True, True]
    assert found[3].carriers == [[0, 1]]


@settings(max_examples=300, deadline=None)
@given(_graphs(14, 4, 12), st.sets(st.integers(0, 11)))
def test_asking_again_only_the_parts_a_value_left_gives_the_whole_answer(
    case: tuple[list[list[int]], list[int]], taken: set[int]
) -> None:
    """What the clustering relies on when it takes values out and asks again: values in
    other connected parts keep their answers, so only the touched parts are searched."""
    units, own = case
    before = pieces(units, own)
    out = {i for i in taken if i < len(units)}
    kept = [i for i in range(len(units)) if i not in out]
    touched = {before[i].component for i in out}
    again = [i for i in kept if before[i].component in touched]
    fresh = dict(zip(again, pieces([units[i] for i in again], own), strict=True))
    partial = [fresh.get(i, before[i]) for i in kept]
    whole = pieces([units[i] for i in kept], own)
    assert _shape(partial) == _shape(whole)
