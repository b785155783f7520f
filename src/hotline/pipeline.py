"""The pipeline, one step per stage: import → enrich → attribute → strategic assessment.

Every way of running a stage goes through here — the CLI's commands, ``hotline demo``, and
background jobs of a future web application — so each run is checked and audited the same
way: the actor's permission first (a refusal is audited and raises
:class:`~hotline.accounts.services.NotAllowed`), then the stage's own service, then one
audit event for the run with its counts, ``ok`` or ``failed``.

One progress shape for every step: ``progress(what, done, total, items)`` — ``what`` names
the file or the step, ``done`` of ``total`` is bytes for a file and units of work for a
step (``total`` 0 when unknown), ``items`` counts rows or records read so far.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import audited_run, counts, require
from hotline.store.uow import unit_of_work

# Each stage's own modules are imported by the step that runs it: every command of the CLI
# imports this module, and importing every stage (captures, hosting, strategic, attribution)
# would cost each of them about half a second before it does anything.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from hotline.attribution.services import AttributeSummary
    from hotline.captures.extractors.payments import ProcessorTable
    from hotline.captures.services import CaptureSummary
    from hotline.hosting.enrich import Enricher, EnrichOptions, EnrichSummary
    from hotline.hosting.pdns_import import PdnsSummary
    from hotline.hosting.providers import ProviderEntry
    from hotline.intake.services import IngestSummary, ReportImporter
    from hotline.strategic.build import Scope
    from hotline.strategic.model import Assessment


class Progress(Protocol):
    def __call__(self, what: str, done: int, total: int, items: int = 0) -> None: ...


@runtime_checkable
class ImportSummary(Protocol):
    """What every import's summary has, whatever it imports (reports, captures, passive
    DNS): the file (or "all files"), the records refused and why, and a way to add another
    file's summary. The counts beside these are each import's own."""

    file: str
    rejected: int

    @property
    def rejected_by_code(self) -> Mapping[str, int]: ...

    def add(self, other: Any, /) -> None: ...


def _quiet(what: str, done: int, total: int, items: int = 0) -> None:
    return None


def files_object(files: Sequence[Path]) -> str:
    """The object of an import's audit event: its files' names (at most five shown)."""
    names = [path.name for path in files]
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _labels(files: Sequence[Path]) -> dict[Path, str]:
    """What a progress bar calls each file: its name, or its whole path when two files of
    the run share a name (``a/feed.csv``, ``b/feed.csv``)."""
    names = [path.name for path in files]
    return {path: path.name if names.count(path.name) == 1 else str(path) for path in files}


def import_reports(
    engine: Engine,
    actor: Actor,
    files: Sequence[Path],
    fmt: str | None = None,
    progress: Progress = _quiet,
    importer: ReportImporter | None = None,
) -> IngestSummary:
    """Report feeds (CSV, JSON Lines) into the store; refused rows go to the quarantine."""
    from hotline.intake.services import IngestSummary, ReportImporter

    object_ = files_object(files)
    require(engine, actor, Permission.IMPORT, "intake.reports", object_)
    importer = importer or ReportImporter(engine)
    total = IngestSummary(file="all files")
    with audited_run(engine, actor, "intake.reports", object_) as result:
        label = _labels(files)
        for path in files:
            size = path.stat().st_size

            def advance(done: int, rows: int, name: str = label[path], size: int = size) -> None:
                progress(name, done, size, rows)

            summary = importer.ingest(path, fmt, progress=advance)
            total.add(summary)
            progress(label[path], size, size, summary.rows_read)
        result.update(counts(total))
    return total


def import_captures(
    engine: Engine,
    actor: Actor,
    files: Sequence[Path],
    processors: ProcessorTable | None = None,
    workers: int | None = None,
    progress: Progress = _quiet,
) -> Generator[tuple[Path, CaptureSummary], None, None]:
    """WARC files into the store, one summary per file as each is stored (the caller sums
    them; an interruption keeps the files already stored). The permission is checked here,
    before anything is read; iterate the result to the end or close it (``contextlib.closing``)
    so the run's audit event is written when it stops."""
    object_ = files_object(files)
    require(engine, actor, Permission.IMPORT, "captures.import", object_)
    return _capture_run(engine, actor, files, processors, workers, progress, object_)


def _capture_run(
    engine: Engine,
    actor: Actor,
    files: Sequence[Path],
    processors: ProcessorTable | None,
    workers: int | None,
    progress: Progress,
    object_: str,
) -> Generator[tuple[Path, CaptureSummary], None, None]:
    from hotline.captures.extractors import default_extractors
    from hotline.captures.extractors.payments import ProcessorTable
    from hotline.captures.services import CaptureImporter, CaptureSummary

    extractors = default_extractors(processors or ProcessorTable.load(None))
    total = CaptureSummary(file="all files")
    with (
        audited_run(engine, actor, "captures.import", object_) as result,
        CaptureImporter(engine, extractors, workers) as importer,
    ):
        label = _labels(files)
        sizes = {path: path.stat().st_size for path in files}

        def advance(path: Path, done: int) -> None:
            progress(label[path], done, sizes[path], 0)

        for path, summary in importer.ingest_files(list(files), progress=advance):
            total.add(summary)
            result.update(counts(total))
            progress(label[path], sizes[path], sizes[path], summary.records)
            yield path, summary


def import_pdns(
    engine: Engine, actor: Actor, files: Sequence[Path], progress: Progress = _quiet
) -> PdnsSummary:
    """Passive-DNS files (COF, dnsdbq) into hosting observations."""
    from hotline.hosting.pdns_import import PdnsImporter, PdnsSummary

    object_ = files_object(files)
    require(engine, actor, Permission.IMPORT, "hosting.pdns", object_)
    importer = PdnsImporter(engine)
    total = PdnsSummary(file="all files")
    with audited_run(engine, actor, "hosting.pdns", object_) as result:
        label = _labels(files)
        for path in files:
            size = path.stat().st_size

            def advance(done: int, name: str = label[path], size: int = size) -> None:
                progress(name, done, size, 0)

            summary = importer.ingest(path, advance)
            total.add(summary)
            progress(label[path], size, size, summary.lines)
        result.update(counts(total))
    return total


def save_providers(engine: Engine, actor: Actor, entries: Sequence[ProviderEntry]) -> int:
    """Add or change entries of the provider table (one audit event)."""
    from hotline.hosting import providers as provider_table

    shown = f"AS{entries[0].asn}" if len(entries) == 1 else f"{len(entries)} ASes"
    require(engine, actor, Permission.DECIDE, "providers.set", shown)
    with unit_of_work(engine) as connection:
        return provider_table.save(connection, entries, actor)


def remove_provider(engine: Engine, actor: Actor, asn: int) -> bool:
    from hotline.hosting import providers as provider_table

    require(engine, actor, Permission.DECIDE, "providers.remove", f"AS{asn}")
    with unit_of_work(engine) as connection:
        return provider_table.remove(connection, asn, actor)


def enrich(
    engine: Engine,
    actor: Actor,
    options: EnrichOptions,
    progress: Progress = _quiet,
    opened: Callable[[Enricher], Any] | None = None,
) -> EnrichSummary:
    """Hosting for every site: capture addresses, passive DNS, IP facts, RDAP (opt-in).

    Errors of the IP databases raise :class:`~hotline.hosting.ipdb.IpDatabaseError` before
    anything is written (the run is audited as failed)."""
    from hotline.hosting.enrich import Enricher

    require(engine, actor, Permission.PROCESS, "hosting.enrich", "all sites")
    with audited_run(engine, actor, "hosting.enrich", "all sites") as result:
        enricher = Enricher(engine, options, lambda step, done, total: progress(step, done, total))
        try:
            if opened is not None:
                opened(enricher)
            summary = enricher.run()
        finally:
            enricher.close()
        result.update(counts(summary))
    return summary


def attribute(engine: Engine, actor: Actor, progress: Progress = _quiet) -> AttributeSummary:
    """Sites into brands and distributors, from every piece of evidence in the store."""
    from hotline.attribution.services import Attributor

    require(engine, actor, Permission.PROCESS, "attribution.run", "all sites")
    with audited_run(engine, actor, "attribution.run", "all sites") as result:
        summary = Attributor(engine, progress=lambda step: progress(step, 0, 0)).run()
        result.update(counts(summary))
    return summary


def assess(
    engine: Engine,
    actor: Actor,
    scope: Scope,
    out: str | None = None,
    deliver: Callable[[Assessment], Mapping[str, Any] | None] | None = None,
) -> Assessment:
    """The strategic assessment of the store, in ``scope`` (one audit event per run).

    ``deliver`` (writing the files, printing) runs inside the run, so a report that could not
    be written is audited as ``failed``, not ``ok``; what it returns joins the event."""
    from hotline.strategic.build import build_assessment

    require(engine, actor, Permission.PROCESS, "strategic.assessment", "strategic assessment")
    shown = {"from": scope.date_from, "to": scope.date_to, "as_of": scope.as_of,
             "sources": list(scope.sources)}  # fmt: skip
    with audited_run(engine, actor, "strategic.assessment", "strategic assessment") as result:
        result.update(scope=shown, out=out)
        assessment = build_assessment(engine, scope)
        if deliver is not None:
            result.update(deliver(assessment) or {})
    return assessment
