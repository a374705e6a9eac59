"""The base distribution is the client: installed alone, it works without the server's packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.e2e.server import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = ("flask", "marshmallow", "redis", "gunicorn", "click", "apispec")
CLIENT_CHECK = """
import importlib.util, sys
from trust_signals.client import TrustSignalsClient
with TrustSignalsClient(f"http://127.0.0.1:{sys.argv[1]}", retries=0) as client:
    answer = client.badges("US", "search", ["o1"])
print(answer.degraded, answer.badges)
print(",".join(n for n in sys.argv[2:] if importlib.util.find_spec(n) is not None))
"""


def _base_closure() -> set[str]:
    """The distributions the base install needs: trust-signals' requirements without extras."""
    todo, found = [canonicalize_name("trust-signals")], set()
    while todo:
        for line in distribution(todo.pop()).requires or []:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            if name in found or (
                requirement.marker is not None and not requirement.marker.evaluate({"extra": ""})
            ):
                continue
            found.add(name)
            todo.append(name)
    return found


def _locked(names: set[str]) -> list[str]:
    """Their pins in requirements.lock, where the server's image gets them from."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            pin = line.split(";")[0].strip()
            pins[canonicalize_name(pin.split("==")[0])] = pin
    return [pins[name] for name in sorted(names)]


def test_the_base_distribution_is_the_client_without_the_server(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(
        ROOT / "trust_signals",
        source / "trust_signals",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--quiet"]
    subprocess.run(
        [*pip, "install", "--no-deps", str(source), *_locked(_base_closure())], check=True
    )
    subprocess.run([*pip, "check"], check=True)

    # A closed port: the fail-open client answers degraded, without the server's packages.
    checked = subprocess.run(
        [python, "-c", CLIENT_CHECK, str(free_port()), *SERVER_PACKAGES],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    command = subprocess.run(
        [venv / "bin" / "trust-signals", "--help"], capture_output=True, text=True, cwd=tmp_path
    )

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines() == ["True {'o1': ()}", ""]
    assert command.returncode == 1
    assert "pip install 'trust-signals[server]'" in command.stderr
