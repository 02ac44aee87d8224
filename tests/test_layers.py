"""The import layers (pyproject's ``[tool.importlinter]``, run by ``make test``): the platform never
imports the product, the domain never its pages, nothing the runner; and a violation fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")

pytestmark = pytest.mark.tier_independent


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=tree, env=environ, capture_output=True, text=True, timeout=120
    )


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_lower_layer_importing_a_higher_one_fails(tmp_path: Path):
    for part in ("app", "config"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    errors = tmp_path / "app" / "platform" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom app.web import views  # a platform module reaching up\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "app.platform is not allowed to import app.web" in result.stdout
