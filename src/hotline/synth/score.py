"""Scoring attribution (sites → brands → distributors) against a synthetic world's truth.

Attribution is a clustering of sites, and the truth is another clustering of the same sites,
so we score it with B-cubed (Bagga & Baldwin 1998). B-cubed scores every site on its own and
then averages, so one large correct cluster cannot hide many small mistakes, and it is the
only common family of clustering metrics that meets all four constraints of Amigó et al.
(2009): homogeneity, completeness, rag bag and cluster size versus quantity. Purity and pair
counting each fail at least one of them.

Precision asks "of the sites grouped with this one, how many really belong with it?" and
punishes merges; recall asks "of the sites that belong with this one, how many were grouped
with it?" and punishes splits and unattributed sites.

Non-commercial sites are scored apart: they belong to no brand, so the question for them is
only whether attribution wrongly gave them one (the false-attribution rate).
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

SITE_EXPORT_COLUMNS = ("site", "brand_id", "distributor_id")
_CSV_SUFFIXES = frozenset({".csv"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".json-lines"})
_BOM = b"\xef\xbb\xbf"
_SNIFF_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class BCubed:
    """Averaged per-item B-cubed scores; ``items`` is how many items were scored."""

    precision: float
    recall: float
    f1: float
    items: int


def bcubed(truth: Mapping[str, str], predicted: Mapping[str, str | None]) -> BCubed:
    """B-cubed precision, recall and F1 of ``predicted`` over the items of ``truth``.

    ``truth`` maps item → true cluster id and ``predicted`` item → predicted cluster id. An
    item missing from ``predicted`` or mapped to None was left unattributed, which is scored
    as a cluster of its own: honest (precision 1) but incomplete (recall 1/|L|). Items only
    in ``predicted`` are ignored and do not enlarge the clusters of truth items, so an export
    that covers more sites than the truth is not punished for them.

    Only co-membership counts, never the ids themselves, so predicted and true ids may live
    in different id spaces (attribution invents its own brand ids).

    Linear time: every item in the same (predicted, true) cell has the same precision
    |cell|/|C| and recall |cell|/|L|, so summing |cell|²/|C| and |cell|²/|L| over the cells
    equals the per-item sums without comparing items pairwise.

    An empty ``truth`` scores 1.0 everywhere with ``items=0``: nothing was misplaced, callers
    that combine scores need no special case for an empty level, and ``items`` says the
    score is vacuous. Raising would make every caller guard a case that is not an error.
    """
    n = len(truth)
    if n == 0:
        return BCubed(precision=1.0, recall=1.0, f1=1.0, items=0)
    true_labels = list(truth.values())
    pred_labels = [predicted.get(item) for item in truth]
    true_sizes = Counter(true_labels)
    pred_sizes = Counter(pred_labels)  # the None count is never read
    cells = Counter(zip(pred_labels, true_labels, strict=True))
    precision_terms: list[float] = []
    recall_terms: list[float] = []
    for (pred, true), count in cells.items():
        true_size = true_sizes[true]
        if pred is None:
            # each unattributed item is its own cluster: precision 1, recall 1/|L|
            precision_terms.append(count)
            recall_terms.append(count / true_size)
        else:
            precision_terms.append(count * count / pred_sizes[pred])
            recall_terms.append(count * count / true_size)
    # fsum is exact-then-rounded, so a perfect clustering scores exactly 1.0 at any size
    precision = math.fsum(precision_terms) / n
    recall = math.fsum(recall_terms) / n
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return BCubed(precision=precision, recall=recall, f1=f1, items=n)


def false_attribution_rate(
    non_commercial: Iterable[str], predicted: Mapping[str, str | None]
) -> tuple[int, int]:
    """(non-commercial sites given an attribution, non-commercial sites), duplicates once.

    Returned as counts rather than a ratio so reports can show "3 of 412" and totals can be
    summed across runs; :attr:`ScoreReport.false_attribution_rate` gives the ratio.
    """
    sites = dict.fromkeys(non_commercial)
    attributed = sum(1 for site in sites if predicted.get(site) is not None)
    return attributed, len(sites)


@dataclass(frozen=True, slots=True)
class Attribution:
    """What attribution claims: site → brand id and site → distributor id (None = none)."""

    brand: dict[str, str | None]
    distributor: dict[str, str | None]


def read_site_export(path: Path) -> Attribution:
    """Read a site export: CSV with a header row, or JSON Lines, with columns ``site``,
    ``brand_id`` and ``distributor_id`` (other columns are ignored).

    The format comes from the extension (``.csv``; ``.jsonl`` or ``.json-lines``); any other
    name is sniffed: a first non-space byte ``{`` means JSON Lines, anything else CSV. A
    blank value, JSON null or (in CSV, which cannot say null) the word ``null`` means
    unattributed. Site names are compared with the truth exactly as written.

    A missing column is an error, not "unattributed": a misspelt header would otherwise
    score as an attribution that found nothing, which looks like a real (bad) result. A site
    listed twice with different attributions is an error too, since either choice would be a
    guess; an identical repeat is harmless and accepted.
    """
    rows = _jsonl_rows(path) if _is_jsonl(path) else _csv_rows(path)
    brand: dict[str, str | None] = {}
    distributor: dict[str, str | None] = {}
    for line, site, brand_id, distributor_id in rows:
        if site in brand and (brand[site], distributor[site]) != (brand_id, distributor_id):
            raise ValueError(
                f"site export {path}: line {line}: site {site!r} listed again with a "
                f"different attribution ({brand[site]!r}, {distributor[site]!r}) → "
                f"({brand_id!r}, {distributor_id!r})"
            )
        brand[site] = brand_id
        distributor[site] = distributor_id
    return Attribution(brand=brand, distributor=distributor)


_ExportRow = tuple[int, str, str | None, str | None]  # line, site, brand_id, distributor_id


def _is_jsonl(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return False
    if suffix in _JSONL_SUFFIXES:
        return True
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_CHUNK).removeprefix(_BOM)
        while head:
            stripped = head.lstrip()
            if stripped:
                return stripped.startswith(b"{")
            head = handle.read(_SNIFF_CHUNK)
    return True  # empty or all space: JSON Lines reads it as an empty export


def _csv_rows(path: Path) -> Iterator[_ExportRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ValueError(f"site export {path}: line 1: empty file, no header row")
            names = [name.strip() for name in header]
            positions = []
            for column in SITE_EXPORT_COLUMNS:
                if column not in names:
                    raise ValueError(
                        f"site export {path}: line 1: missing column {column!r} "
                        f"(header has {', '.join(map(repr, names))})"
                    )
                positions.append(names.index(column))
            site_at, brand_at, distributor_at = positions
            for row in reader:
                if not row:
                    continue  # a blank line
                line = reader.line_num
                site = _csv_cell(row, site_at)
                if site is None:
                    raise ValueError(f"site export {path}: line {line}: blank site")
                yield line, site, _csv_cell(row, brand_at), _csv_cell(row, distributor_at)
        except UnicodeDecodeError as exc:
            raise ValueError(f"site export {path}: not UTF-8 ({exc})") from exc
        except csv.Error as exc:
            raise ValueError(f"site export {path}: line {reader.line_num}: {exc}") from exc


def _csv_cell(row: list[str], at: int) -> str | None:
    value = row[at].strip() if at < len(row) else ""  # a short row leaves trailing cells blank
    return None if not value or value.lower() == "null" else value


def _jsonl_rows(path: Path) -> Iterator[_ExportRow]:
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            text = raw.removeprefix(_BOM) if line == 1 else raw
            if not text.strip():
                continue
            try:
                record = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"site export {path}: line {line}: bad JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise ValueError(
                    f"site export {path}: line {line}: expected a JSON object, "
                    f"got {type(record).__name__}"
                )
            values = []
            for column in SITE_EXPORT_COLUMNS:
                if column not in record:
                    raise ValueError(f"site export {path}: line {line}: missing column {column!r}")
                values.append(_json_id(record[column], path, line, column))
            site, brand_id, distributor_id = values
            if site is None:
                raise ValueError(f"site export {path}: line {line}: blank site")
            yield line, site, brand_id, distributor_id


def _json_id(value: object, path: Path, line: int, column: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a numeric id is still just an id
    if isinstance(value, str):
        return value.strip() or None
    raise ValueError(
        f"site export {path}: line {line}: {column} must be a string or null, "
        f"got {type(value).__name__}"
    )


@dataclass(frozen=True, slots=True)
class Truth:
    """The ground truth that scoring needs from a synthetic world's truth file.

    ``brand`` and ``distributor`` cover the commercial sites only (None: the site really has
    no brand / distributor, so it belongs alone); ``non_commercial`` is every other site.
    """

    brand: dict[str, str | None]
    distributor: dict[str, str | None]
    non_commercial: frozenset[str]


def read_truth(path: Path) -> Truth:
    """Read a truth file: JSON with a ``sites`` object of site → {brand, distributor,
    commercial, role, ...}; the other sections (meta, brands, urls, ...) are not needed here.

    Validation is light, just enough that a wrong or truncated file fails with its name and
    the reason instead of scoring nonsense.
    """
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"truth file {path}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ValueError(f"truth file {path}: top level is not a JSON object")
    sites = document.get("sites")
    if sites is None:
        raise ValueError(f"truth file {path}: sites missing")
    if not isinstance(sites, dict):
        raise ValueError(f"truth file {path}: sites is not a JSON object")
    brand: dict[str, str | None] = {}
    distributor: dict[str, str | None] = {}
    non_commercial: set[str] = set()
    for site, entry in sites.items():
        if not isinstance(entry, dict):
            raise ValueError(f"truth file {path}: site {site!r} is not a JSON object")
        commercial = entry.get("commercial")
        if not isinstance(commercial, bool):
            raise ValueError(
                f"truth file {path}: site {site!r}: commercial must be true or false, "
                f"got {commercial!r}"
            )
        if commercial:
            brand[site] = _truth_id(entry, "brand", path, site)
            distributor[site] = _truth_id(entry, "distributor", path, site)
        else:
            non_commercial.add(site)
    return Truth(brand=brand, distributor=distributor, non_commercial=frozenset(non_commercial))


def _truth_id(entry: dict[str, object], key: str, path: Path, site: str) -> str | None:
    value = entry.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(
        f"truth file {path}: site {site!r}: {key} must be a string or null, got {value!r}"
    )


@dataclass(frozen=True, slots=True)
class ScoreReport:
    """How well an attribution matches the truth.

    ``brand`` and ``distributor`` are B-cubed over the commercial sites. ``unknown_sites``
    counts sites in the export that the truth does not know at all; a large number usually
    means the export names sites differently from the truth, not that attribution is bad.
    """

    brand: BCubed
    distributor: BCubed
    non_commercial_attributed: int
    non_commercial: int
    commercial: int
    commercial_unattributed: int
    unknown_sites: int

    @property
    def false_attribution_rate(self) -> float:
        """Share of non-commercial sites given a brand or distributor (0.0 if there are none)."""
        if not self.non_commercial:
            return 0.0
        return self.non_commercial_attributed / self.non_commercial


def score(truth: Truth, attribution: Attribution) -> ScoreReport:
    """Score ``attribution`` against ``truth`` at both levels, plus false attribution.

    A commercial site whose true brand (or distributor) is None is a true cluster of one. A
    non-commercial site counts as falsely attributed if it got a brand or a distributor. A
    commercial site counts as unattributed only if it got neither.
    """
    brand = bcubed(_true_clusters(truth.brand), attribution.brand)
    distributor = bcubed(_true_clusters(truth.distributor), attribution.distributor)
    either = {
        site: attribution.brand.get(site) or attribution.distributor.get(site)
        for site in truth.non_commercial
    }
    attributed, total = false_attribution_rate(truth.non_commercial, either)
    unattributed = sum(
        1
        for site in truth.brand
        if attribution.brand.get(site) is None and attribution.distributor.get(site) is None
    )
    exported = attribution.brand.keys() | attribution.distributor.keys()
    unknown = sum(
        1 for site in exported if site not in truth.brand and site not in truth.non_commercial
    )
    return ScoreReport(
        brand=brand,
        distributor=distributor,
        non_commercial_attributed=attributed,
        non_commercial=total,
        commercial=len(truth.brand),
        commercial_unattributed=unattributed,
        unknown_sites=unknown,
    )


def _true_clusters(mapping: Mapping[str, str | None]) -> dict[str, str]:
    # prefixes keep a site's own singleton id from colliding with a real cluster id
    return {
        site: f"={cluster}" if cluster is not None else f"~{site}"
        for site, cluster in mapping.items()
    }
