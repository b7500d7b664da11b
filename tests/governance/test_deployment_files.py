"""The image (Dockerfile) and the scaled-out deployment (docker-compose.yml) stay in step: the
same web command, a non-root user, health checks, one beat, and every variable documented.
``make prod-check`` runs these same commands natively (ops/prod_check.py)."""

import re

from ops.deployment import ROOT, read_compose, read_image


def test_the_image_serves_with_the_compose_web_command():
    assert read_image().cmd == read_compose().commands["web"]


def test_the_image_runs_as_a_non_root_user_with_a_health_check_on_healthz():
    image = read_image()
    assert image.user not in ("root", "0", "")
    assert any("/healthz" in part for part in image.healthcheck)
    env, argv = image.build_step("collectstatic")
    assert env["DJANGO_DEBUG"] == "0" and argv[-2:] == ["collectstatic", "--noinput"]


def test_compose_runs_exactly_one_beat_and_migrates_before_the_app_starts():
    services = read_compose().services
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["healthcheck"]["test"][1].startswith("celery -A governance inspect ping")
    assert services["beat"]["healthcheck"] == {"disable": True}  # no HTTP in beat: not the image's check


def test_every_variable_compose_sets_is_in_the_readme_configuration_table():
    table = set(re.findall(r"^\| `([A-Z_]+)`", (ROOT / "README.md").read_text(), flags=re.M))
    table |= {m for row in re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)+) \|", (ROOT / "README.md").read_text(),
                                       flags=re.M) for m in re.findall(r"`([A-Z_]+)`", row)}
    assert set(read_compose().environment) <= table, set(read_compose().environment) - table
