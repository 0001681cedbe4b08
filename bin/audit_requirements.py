"""Audit the pinned requirements for known vulnerabilities with pip-audit (run by `make lint`).

    python bin/audit_requirements.py [REQUIREMENTS] [EXCEPTIONS]

pip-audit asks a vulnerability service about every pin: PyPI's per-release
JSON API, or OSV. A machine may reach neither (offline, or a PyPI mirror
without that API, to which pip-audit would say "No known vulnerabilities
found" while it audited nothing). So the service is tried first:

- one answers: every pin must be audited (``--strict``), and any known
  vulnerability fails unless EXCEPTIONS (config/security/audit-exceptions)
  lists its id with the reason;
- none answers: the audit is skipped with a warning, or fails when
  ``AUDIT_REQUIRED=1`` (set it where the audit must run).

``AUDIT_OSV_URL`` points at another OSV-compatible service (a mirror; the tests' fake).
"""

import os
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYPI_RELEASE_URL = "https://pypi.org/pypi/{name}/{version}/json"
OSV_URL = "https://api.osv.dev/v1/query"
PROBE_TIMEOUT = 10


class ExceptionsFileError(ValueError):
    pass


def first_pin(requirements: Path) -> tuple[str, str]:
    """The first ``name==version`` line: the package the services are asked about to see if they answer."""
    for line in requirements.read_text().splitlines():
        name, separator, version = line.split("#", 1)[0].strip().partition("==")
        if separator:
            return name.strip(), version.strip()
    raise ValueError(f"{requirements} pins no package (name==version)")


def accepted_vulnerabilities(exceptions: Path) -> list[str]:
    """The ids in the exceptions file; each line is ``ID  package==version  reason``, ``#`` starts a comment."""
    if not exceptions.is_file():
        return []
    ids = []
    for number, line in enumerate(exceptions.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) < 3:
            raise ExceptionsFileError(f"{exceptions}:{number}: write the id, the package==version and the reason")
        ids.append(words[0])
    return ids


def _answers(method: str, url: str, **kwargs) -> bool:
    try:
        return requests.request(method, url, timeout=PROBE_TIMEOUT, **kwargs).status_code == 200
    except requests.RequestException:
        return False


def reachable_service(name: str, version: str) -> tuple[str, str | None] | None:
    """(service, OSV URL or None) of the first vulnerability service that answers about this pin, or None."""
    query = {"json": {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}}
    custom_osv = os.environ.get("AUDIT_OSV_URL", "")
    if custom_osv:
        return ("osv", custom_osv) if _answers("POST", custom_osv, **query) else None
    if _answers("GET", PYPI_RELEASE_URL.format(name=name, version=version)):
        return "pypi", None
    if _answers("POST", OSV_URL, **query):
        return "osv", OSV_URL
    return None


def audit_command(requirements: Path, service: str, osv_url: str | None, accepted: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pip_audit", "--requirement", str(requirements)]
    # The file pins every package already: audit exactly those, without pip resolving anything.
    command += ["--no-deps", "--disable-pip", "--strict", "--desc", "on", "--progress-spinner", "off"]
    command += ["--vulnerability-service", service]
    if osv_url:
        command += ["--osv-url", osv_url]
    for vulnerability in accepted:
        command += ["--ignore-vuln", vulnerability]
    return command


def main(argv: list[str]) -> int:
    requirements = Path(argv[1]) if len(argv) > 1 else ROOT / "requirements.txt"
    exceptions = Path(argv[2]) if len(argv) > 2 else ROOT / "config" / "security" / "audit-exceptions"
    accepted = accepted_vulnerabilities(exceptions)
    found = reachable_service(*first_pin(requirements))
    if found is None:
        required = os.environ.get("AUDIT_REQUIRED") == "1"
        print(
            f"{'ERROR' if required else 'WARNING'}: no vulnerability service answered (PyPI's per-release API, OSV); "
            f"the requirements were not audited{'' if required else ' (AUDIT_REQUIRED=1 makes this an error)'}.",
            file=sys.stderr,
        )
        return 1 if required else 0
    service, osv_url = found
    print(f"Auditing {requirements.name} against {service}; accepted: {', '.join(accepted) or 'none'}", flush=True)
    command = audit_command(requirements, service, osv_url, accepted)
    return subprocess.run(command, check=False).returncode  # noqa: S603 - our own interpreter and fixed arguments


if __name__ == "__main__":
    sys.exit(main(sys.argv))
