"""What the image (``Dockerfile``) and the scaled-out deployment (``docker-compose.yml``) run, read
from those files, so ``make prod-check`` runs exactly that and a test keeps the two in step."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Image:
    cmd: list[str]
    healthcheck: list[str]
    user: str
    build_runs: list[str]  # the RUN lines, continuation lines joined

    def build_step(self, word: str) -> tuple[dict[str, str], list[str]]:
        """The RUN line mentioning ``word`` as (leading VAR=value assignments, argv)."""
        line = next(run for run in self.build_runs if word in run)
        words = shlex.split(line)
        env = {}
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        return env, words


def read_image(path: Path = ROOT / "Dockerfile") -> Image:
    lines, current = [], ""
    for raw in path.read_text().splitlines():
        if raw.lstrip().startswith("#"):
            continue
        current += raw.rstrip("\\").strip() + " " if raw.rstrip().endswith("\\") else raw.strip()
        if not raw.rstrip().endswith("\\"):
            if current:
                lines.append(current)
            current = ""
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]
    cmd = next(json.loads(arg) for op, arg in instructions if op == "CMD")
    health = next(arg for op, arg in instructions if op == "HEALTHCHECK")
    healthcheck = json.loads(health[health.index("CMD") + 3:].strip())
    user = [arg for op, arg in instructions if op == "USER"][-1]
    return Image(cmd=cmd, healthcheck=healthcheck, user=user,
                 build_runs=[arg for op, arg in instructions if op == "RUN"])


@dataclass(frozen=True)
class Compose:
    commands: dict[str, list[str]]  # service -> command
    environment: dict[str, str]  # the app services' variables, ${VAR:-default} resolved to the default
    services: dict


def read_compose(path: Path = ROOT / "docker-compose.yml") -> Compose:
    data = yaml.safe_load(path.read_text())
    services = data["services"]
    env = {key: _default(str(value)) for key, value in data["x-accord"]["environment"].items()}
    return Compose(commands={name: s["command"] for name, s in services.items() if "command" in s and
                             isinstance(s["command"], list)},
                   environment=env, services=services)


def _default(value: str) -> str:
    """``${VAR:-default}`` → ``default``; ``${VAR:?message}`` → ``""`` (the caller must supply it)."""
    def sub(match: re.Match) -> str:
        body = match.group(1)
        if ":-" in body:
            return body.split(":-", 1)[1]
        return ""
    return re.sub(r"\$\{([^}]*)\}", sub, value)
