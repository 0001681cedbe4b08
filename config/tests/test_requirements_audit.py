"""`make lint` audits the pinned requirements: a known vulnerability fails it unless written down with
its reason, and a machine that reaches no vulnerability service skips the audit unless told otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.tests.fakes.osv import FakeOsv

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "audit_requirements.py"
VULNERABILITY = "GHSA-fake-0000-0001"


@pytest.fixture
def requirements(tmp_path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("# pinned\nDjango==5.2.19\nrequests==2.34.2\n")
    return path


@pytest.fixture
def osv():
    fake = FakeOsv({"requests": VULNERABILITY}).start()
    yield fake
    fake.stop()


def _audit(requirements: Path, exceptions: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(requirements), str(exceptions)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_known_vulnerability_fails_the_audit(requirements, tmp_path, osv):
    result = _audit(requirements, tmp_path / "none", AUDIT_OSV_URL=osv.url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert VULNERABILITY in result.stdout
    assert {request.json()["package"]["name"] for request in osv.requests} >= {"django", "requests"}


def test_a_vulnerability_written_down_with_its_reason_is_accepted(requirements, tmp_path, osv):
    exceptions = tmp_path / "audit-exceptions"
    exceptions.write_text(f"# accepted\n{VULNERABILITY}  requests==2.34.2  we never follow redirects to files\n")
    result = _audit(requirements, exceptions, AUDIT_OSV_URL=osv.url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_exception_without_its_reason_is_refused(requirements, tmp_path, osv):
    exceptions = tmp_path / "audit-exceptions"
    exceptions.write_text(f"{VULNERABILITY}\n")
    result = _audit(requirements, exceptions, AUDIT_OSV_URL=osv.url)
    assert result.returncode != 0
    assert "write the id, the package==version and the reason" in result.stderr


def test_without_a_service_the_audit_is_skipped_unless_required(requirements, tmp_path, osv):
    osv.stop()  # nothing answers at its address any more
    skipped = _audit(requirements, tmp_path / "none", AUDIT_OSV_URL=osv.url)
    assert skipped.returncode == 0
    assert "were not audited" in skipped.stderr
    required = _audit(requirements, tmp_path / "none", AUDIT_OSV_URL=osv.url, AUDIT_REQUIRED="1")
    assert required.returncode == 1
