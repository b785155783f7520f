"""What each strong value would join: the pieces its carriers fall into without it.

A value that merges clusters on its own is a single point of failure: a template kit's
default logo, a shortener's redirects or one extractor's false positive on many sites would
chain unrelated brands and distributors. So before anything merges, every strong value is
asked "if you were not there, which separate pieces would your carriers be in?" — answered
for all values at once by the articulation points of the graph of nodes (sites or brands)
and strong values (Tarjan's depth-first search, O(nodes + incidences)). A piece *stands on
its own* when it holds two or more nodes (other strong evidence ties them) or a node with an
identity nobody else shares (its own name, its own payment accounts).

The answer is independent of the order in which values are looked at, unlike a greedy
union, so a decoy as narrow as a distributor's own values is caught as well.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pieces:
    """The pieces one value's carriers fall into: per piece, the carriers (node ids, with
    repeats for a unit of several values) and whether it stands on its own."""

    carriers: list[list[int]]
    standing: list[bool]
    # the connected part of the graph the value sits in, named by one of its nodes: a value
    # taken out changes the answers of the values of its own part only
    component: int = -1


def pieces(
    units: Sequence[Sequence[int]], own: Sequence[int], mass: Sequence[int] | None = None
) -> list[Pieces]:
    """For every unit (the carrier nodes of one strong value), the pieces its carriers fall
    into when that unit is removed from the graph of all units. ``own`` counts, per node, the
    identities it has that no other node shares."""
    # only the nodes some unit carries take part: number them densely (sites without a
    # strong value never enter the search)
    number: dict[int, int] = {}
    members = [[number.setdefault(n, len(number)) for n in set(c)] for c in units]
    original = list(number)
    own_of = [own[n] for n in original]
    mass_of = [mass[n] for n in original] if mass is not None else [1] * len(original)
    node_count = len(original)
    adjacency: list[list[int]] = [[] for _ in range(node_count)]
    for u, dense in enumerate(members):
        vertex = node_count + u
        for node in dense:
            adjacency[node].append(vertex)
        adjacency.append(dense)
    total = len(adjacency)
    disc = [-1] * total
    low = [0] * total
    end = [0] * total
    parent = [-1] * total
    root_of = [0] * total
    separated: list[list[int]] = [[] for _ in units]
    node_prefix = [0]  # nodes and own identities in discovery order, as prefix sums
    own_prefix = [0]
    timer = 0
    for start in range(total):
        if disc[start] != -1 or not adjacency[start]:
            continue
        disc[start] = low[start] = timer
        timer += 1
        root_of[start] = start
        node_prefix.append(node_prefix[-1] + (mass_of[start] if start < node_count else 0))
        own_prefix.append(own_prefix[-1] + (own_of[start] if start < node_count else 0))
        stack: list[tuple[int, int]] = [(start, 0)]
        while stack:
            vertex, i = stack[-1]
            neighbours = adjacency[vertex]
            if i < len(neighbours):
                stack[-1] = (vertex, i + 1)
                other = neighbours[i]
                if disc[other] == -1:
                    parent[other] = vertex
                    root_of[other] = start
                    disc[other] = low[other] = timer
                    timer += 1
                    is_node = other < node_count
                    node_prefix.append(node_prefix[-1] + (mass_of[other] if is_node else 0))
                    own_prefix.append(own_prefix[-1] + (own_of[other] if is_node else 0))
                    stack.append((other, 0))
                elif other != parent[vertex] and disc[other] < low[vertex]:
                    low[vertex] = disc[other]
                continue
            stack.pop()
            end[vertex] = timer - 1
            up = parent[vertex]
            if up >= 0:
                if low[vertex] < low[up]:
                    low[up] = low[vertex]
                if up >= node_count and low[vertex] >= disc[up]:
                    separated[up - node_count].append(vertex)

    def count(prefix: list[int], first: int, last: int) -> int:
        return prefix[last + 1] - prefix[first]

    answers: list[Pieces] = []
    for u, carriers in enumerate(units):
        vertex = node_count + u
        children = sorted(separated[u], key=disc.__getitem__)
        starts = [disc[c] for c in children]
        groups: list[list[int]] = [[] for _ in range(len(children) + 1)]  # last: the rest
        for node in carriers:
            d = disc[number[node]]
            at = bisect_right(starts, d) - 1
            if at >= 0 and d <= end[children[at]]:
                groups[at].append(node)
            else:
                groups[-1].append(node)
        standing: list[bool] = []
        nodes_in = 0
        own_in = 0
        for child in children:
            nodes = count(node_prefix, disc[child], end[child])
            mine = count(own_prefix, disc[child], end[child])
            nodes_in += nodes
            own_in += mine
            standing.append(nodes >= 2 or mine > 0)
        root = root_of[vertex]
        rest_nodes = count(node_prefix, disc[root], end[root]) - nodes_in
        rest_own = count(own_prefix, disc[root], end[root]) - own_in
        standing.append(rest_nodes >= 2 or rest_own > 0)
        kept = [i for i, group in enumerate(groups) if group]
        answers.append(
            Pieces([groups[i] for i in kept], [standing[i] for i in kept], original[root])
        )
    return answers


__all__ = ["Pieces", "pieces"]
