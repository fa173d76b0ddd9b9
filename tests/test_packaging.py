"""The release files: `python -m build` makes an sdist and a wheel that carry every package data file, and
the wheel installed into a new venv runs `vidseek --help` from its own files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import vidseek

REPO = Path(__file__).resolve().parents[1]
DATA = [f"vidseek/prompts/{p.name}" for p in sorted((REPO / "vidseek" / "prompts").glob("*.txt"))] + [
    f"vidseek/server/static/{p.name}" for p in sorted((REPO / "vidseek" / "server" / "static").iterdir())] + [
    "vidseek/py.typed"]


@pytest.mark.slow
def test_the_sdist_and_wheel_carry_the_package_data_and_the_wheel_runs_in_a_new_venv(tmp_path) -> None:
    source = tmp_path / "src"  # a copy: building writes vidseek.egg-info beside the sources
    shutil.copytree(REPO / "vidseek", source / "vidseek", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md"):
        shutil.copy(REPO / name, source / name)
    # --no-isolation: the build backend from this environment, so nothing is downloaded; the wheel is built
    # from the sdist, which proves the sdist is complete
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    version = vidseek.__version__
    wheel = tmp_path / "dist" / f"vidseek-{version}-py3-none-any.whl"
    sdist = tmp_path / "dist" / f"vidseek-{version}.tar.gz"
    files = set(zipfile.ZipFile(wheel).namelist())
    assert set(DATA) <= files and "vidseek/export.py" in files and "vidseek/integrations/langchain.py" in files
    entry_points = zipfile.ZipFile(wheel).read(f"vidseek-{version}.dist-info/entry_points.txt").decode()
    assert "vidseek = vidseek.cli:main" in entry_points
    with tarfile.open(sdist) as tar:
        assert {f"vidseek-{version}/{name}" for name in DATA} <= set(tar.getnames())

    # a new venv with the wheel and only the wheel's files for vidseek; the dependencies come from this
    # environment through a .pth line (a venv of its own would download gigabytes of models)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing but the venv's own paths
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, env=clean).stdout.strip())
    (site / "deps-from-the-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                                "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    help_ = subprocess.run([str(venv / "bin" / "vidseek"), "--help"], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path, env=clean)
    assert help_.returncode == 0 and "export" in help_.stdout and "mcp" in help_.stdout, help_.stderr[-2000:]
    check = ("import vidseek, vidseek.server.app as app, vidseek.pipeline.answer as answer; "
             "print(vidseek.__file__); print(len(app._static('index.html')) > 0)")
    where = subprocess.run([str(python), "-c", check], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                           env=clean)
    assert where.returncode == 0, where.stderr[-2000:]
    assert where.stdout.split() == [str(site / "vidseek" / "__init__.py"), "True"]  # the wheel's, not this tree
    version_line = subprocess.run([str(venv / "bin" / "vidseek"), "--version"], capture_output=True, text=True,
                                  timeout=300, cwd=tmp_path, env=clean)
    assert version_line.stdout.strip() == f"vidseek {version}"
