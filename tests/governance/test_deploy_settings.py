"""Production settings pass Django's deployment checks with nothing silenced."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs manage.py in child processes with production settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "governance.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x9!Qz7$Lm2#Vb8^Np4&Rt6*Wc1(Yh3)Kd5-Jf0+Gs2=Ua7_Ee9~Io4",
    "DJANGO_ALLOWED_HOSTS": "accord.example.com",
    "DATABASE_URL": "postgres://accord@db.example.com:5432/accord",
    "REDIS_URL": "redis://redis.example.com:6379/0",
}


def _run(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PRODUCTION_ENV | (env_extra or {}))
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_passes_with_production_settings():
    result = _run("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 silenced" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _run("check", env_extra={"DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_seed_demo_refuses_with_debug_off():
    result = _run("seed_demo")
    assert result.returncode != 0
    assert "--force" in result.stderr


def test_collectstatic_with_debug_off_writes_hashed_compressed_files(tmp_path):
    """What the image's build step runs: every file a vendored stylesheet or script names (fonts,
    source maps) must exist, or the manifest storage stops the build."""
    result = _run("collectstatic", "--noinput", env_extra={"DJANGO_STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    chart = manifest["vendor/chartjs/chart.umd.min.js"]
    assert chart != "vendor/chartjs/chart.umd.min.js" and (tmp_path / chart).is_file()
    assert (tmp_path / f"{chart}.gz").is_file()  # whitenoise serves it to clients accepting gzip
    assert not (tmp_path / "vendor/chartjs/chart.umd.min.js").exists()  # only hashed names are kept
    icons_css = (tmp_path / manifest["vendor/bootstrap-icons/bootstrap-icons.min.css"]).read_text()
    font = manifest["vendor/bootstrap-icons/fonts/bootstrap-icons.woff2"]
    assert font.rsplit("/", 1)[1] in icons_css  # the stylesheet names the hashed font
    subset_css = (tmp_path / manifest["vendor/bootstrap-icons/accord-icons.css"]).read_text()
    assert manifest["vendor/bootstrap-icons/fonts/accord-icons.woff2"].rsplit("/", 1)[1] in subset_css


def test_a_database_url_other_than_postgresql_is_refused():
    result = _run("check", env_extra={"DATABASE_URL": "sqlite:////tmp/accord.sqlite3"})
    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr


def test_prepared_statements_are_on_by_default_and_can_be_turned_off_but_not_mistyped():
    show = ("shell", "-c", "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))")
    assert "'prepare_threshold': 5" in _run(*show).stdout
    assert _run(*show, env_extra={"DJANGO_DB_PREPARE_THRESHOLD": "off"}).stdout.strip().splitlines()[-1] == "{}"
    for wrong in ("five", "0"):  # 0: migrations' multi-command scripts would be prepared, and refused
        mistyped = _run("check", env_extra={"DJANGO_DB_PREPARE_THRESHOLD": wrong})
        assert mistyped.returncode != 0 and "DJANGO_DB_PREPARE_THRESHOLD must be a whole number" in mistyped.stderr
    assert "'prepare_threshold': 1" in _run(*show, env_extra={"DJANGO_DB_PREPARE_THRESHOLD": "1"}).stdout
