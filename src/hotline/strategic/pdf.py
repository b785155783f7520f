"""A PDF of the HTML report, if this machine has an engine for it; never a hard dependency.

WeasyPrint is used when it happens to be installed (it is not a dependency of hotline);
otherwise headless Chromium prints the page. Both run offline: WeasyPrint gets a URL fetcher
that refuses everything, Chromium a throw-away profile and a host resolver that resolves
nothing (the HTML fetches nothing anyway, and its Content-Security-Policy says so). A missing or
failing engine is not an error: :func:`write_pdf` returns None and the caller says so.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from hotline.strategic.files import commit, temporary_beside

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 60


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError("the report fetches no resources")


def _weasyprint(html_path: Path, pdf_path: Path) -> bool:
    try:
        weasyprint = importlib.import_module("weasyprint")
    except (ImportError, OSError):  # OSError: installed, but its native libraries are missing
        return False
    try:
        document = weasyprint.HTML(filename=str(html_path), url_fetcher=_refuse_fetch)
        document.write_pdf(str(pdf_path))
    except Exception:  # any failure of an optional engine means "no PDF from it"
        return False
    return _is_pdf(pdf_path)


def find_chromium() -> str | None:
    """``HOTLINE_CHROMIUM`` if set (a path or a name on PATH), else the first browser on PATH."""
    chosen = os.environ.get("HOTLINE_CHROMIUM")
    if chosen:
        return shutil.which(chosen)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(exe: str, html_path: Path, pdf_path: Path, profile: Path) -> list[str]:
    return [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--disable-extensions",
        "--disable-sync",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        html_path.as_uri(),
    ]


def _run(command: list[str], home: Path) -> bool:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home), XDG_CACHE_HOME=str(home))
    try:
        process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    except OSError:
        return False
    try:
        return process.wait(timeout=TIMEOUT_SECONDS) == 0
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
    finally:
        # Chromium starts helpers (crash handler, zygote) in the session it leads; none may
        # outlive the print or keep writing into the throw-away profile.
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)


def _chromium(html_path: Path, pdf_path: Path) -> bool:
    exe = find_chromium()
    if exe is None:
        return False
    with tempfile.TemporaryDirectory(
        prefix="hotline-chromium-", ignore_cleanup_errors=True
    ) as scratch:
        profile = Path(scratch)
        command = chromium_command(exe, html_path.resolve(), pdf_path.resolve(), profile)
        ok = _run(command, profile)
    return ok and _is_pdf(pdf_path)


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


def write_pdf(html_path: Path, pdf_path: Path) -> str | None:
    """Print ``html_path`` to ``pdf_path``; the engine used ("weasyprint", "chromium") or None.

    The engine prints to a temporary file beside ``pdf_path``, which is renamed into place only
    once it is a whole PDF: ``pdf_path`` is never a half-written file. Raises
    :class:`hotline.strategic.files.OutputError` when the folder cannot be written at all.
    """
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.unlink(missing_ok=True)  # a stale PDF must not pass for a fresh one
    for name, engine in (("weasyprint", _weasyprint), ("chromium", _chromium)):
        temporary = temporary_beside(pdf_path)
        try:
            if engine(html_path, temporary):
                commit(temporary, pdf_path)
                return name
        finally:
            temporary.unlink(missing_ok=True)
    return None
