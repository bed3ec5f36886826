"""Static checks of deploy/: the container image, compose file, Kubernetes manifests, systemd units
and the example settings. No container engine, cluster or network here, so the files are parsed
and compared with the code (settings names, process entry points of api.md)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.core.settings import Settings
from services.portal_mock.config import PortalMockSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SYSTEMD = DEPLOY / "systemd"
API_MD = ROOT.parent / "shared" / "docs" / "api.md"

# Process entry points, "Configuration, processes and CLI" of api.md.
API = ["uvicorn", "services.api.main:app"]
WORKER = ["arq", "services.worker.main.WorkerSettings"]
PORTAL_MOCK = ["uvicorn", "services.portal_mock.main:app"]
MIGRATE = ["alembic", "upgrade", "head"]
WORKER_CHECK = [*WORKER, "--check"]
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - containers listen on every interface, by design

SETTINGS = {"MOTCUA_" + name.upper() for name in Settings.model_fields}
# The mock portal reads a few knobs of its own (e.g. MOTCUA_API_URL) with the same prefix.
MOCK_SETTINGS = {"MOTCUA_" + name.upper() for name in PortalMockSettings.model_fields}


def _load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _starts_with(command: list[str], prefix: list[str]) -> bool:
    return [Path(command[0]).name, *command[1 : len(prefix)]] == prefix


def _env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=value: {line!r}"
        assert key == key.strip() and " " not in key, f"{path.name}: bad name {key!r}"
        assert key not in values, f"{path.name}: {key} twice"
        values[key] = value
    return values


# ---------------------------------------------------------------- every YAML file parses


def test_every_yaml_parses() -> None:
    files = sorted([*DEPLOY.glob("*.yaml"), *K8S.glob("*.yaml")])
    assert DEPLOY / "compose.yaml" in files
    assert len(files) >= 8
    for path in files:
        assert _load_all(path), f"{path} is empty"


def test_entry_points_are_those_of_api_md() -> None:
    if not API_MD.exists():
        pytest.skip("api.md not checked out next to the repository")
    text = API_MD.read_text(encoding="utf-8")
    for command in (API, WORKER, PORTAL_MOCK, MIGRATE):
        assert " ".join(command) in text


# ---------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    logical: list[str] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "Dockerfile ends inside a continued line"
    result = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def test_dockerfile_is_multi_stage_and_runs_as_non_root() -> None:
    instructions = _dockerfile_instructions()
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    assert len(froms) == 2
    assert all(f.split()[0] == "python:3.11-slim" for f in froms)
    assert froms[0].lower().endswith("as builder")
    copies = [rest for kw, rest in instructions if kw == "COPY"]
    assert any(c.startswith("--from=builder") and "/opt/venv" in c for c in copies)
    assert any("alembic.ini" in c for c in copies)
    assert any(c.split()[-1].rstrip("/").endswith("migrations") for c in copies)

    keywords = [kw for kw, _ in instructions]
    cmd_at = max(i for i, kw in enumerate(keywords) if kw == "CMD")
    runtime_start = max(i for i, kw in enumerate(keywords) if kw == "FROM")
    users = [rest for kw, rest in instructions[runtime_start:cmd_at] if kw == "USER"]
    assert users, "no USER in the runtime stage before CMD"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user in {"motcua", "10001"}
    assert "--uid 10001" in " ".join(rest for kw, rest in instructions if kw == "RUN")

    assert ("WORKDIR", "/app") in instructions
    assert ("EXPOSE", "8000") in instructions
    healthchecks = [rest for kw, rest in instructions if kw == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "/healthz" in healthchecks[0] and "urllib" in healthchecks[0]
    assert "curl" not in healthchecks[0]
    cmd = json.loads(instructions[cmd_at][1])
    assert cmd == [*API, "--host", ALL_INTERFACES, "--port", "8000"]


# ---------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    docs = _load_all(DEPLOY / "compose.yaml")
    assert len(docs) == 1
    return docs[0]


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _healthcheck(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}
    return list(test[1:]) if test[0] == "CMD" else shlex.split(test[1])


def test_compose_services_and_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "api", "worker", "portal-mock"}
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    assert services["redis"]["image"] == "redis:7"
    assert _command(services["redis"])[-2:] == ["--appendonly", "yes"]
    assert _command(services["migrate"]) == MIGRATE
    assert _starts_with(_command(services["api"]), API)
    assert _starts_with(_command(services["worker"]), WORKER)
    assert _command(services["portal-mock"]) == [
        *PORTAL_MOCK,
        *["--host", ALL_INTERFACES, "--port", "8090"],
    ]
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}


def test_compose_dependencies_wait_for_health_and_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker", "portal-mock"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == "service_healthy", name
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_compose_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "pg_isready" in _healthcheck(services["postgres"])[0]
    assert _healthcheck(services["redis"]) == ["redis-cli", "ping"]
    assert _healthcheck(services["worker"]) == WORKER_CHECK
    for name, port in (("api", 8000), ("portal-mock", 8090)):
        check = " ".join(_healthcheck(services[name]))
        assert f"127.0.0.1:{port}/healthz" in check and "urllib" in check, name
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_compose_settings_come_from_the_env_file(compose: dict[str, Any]) -> None:
    known = SETTINGS | MOCK_SETTINGS
    for name in ("migrate", "api", "worker", "portal-mock"):
        service = compose["services"][name]
        assert service["env_file"] == "motcua.env", name
        environment = service.get("environment", {})
        assert isinstance(environment, dict), name
        assert environment.get("MOTCUA_ENV") == "production", name
        for key in environment:
            if key.startswith("MOTCUA_"):
                assert key in known, f"{name}: {key} is not a setting"
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        values = environment.values() if isinstance(environment, dict) else environment
        assert not any("development" in str(v) for v in values), name
    assert compose["services"]["postgres"]["env_file"] == "postgres.env"


def test_env_examples_list_real_settings_with_placeholders() -> None:
    example = _env_file(DEPLOY / "motcua.env.example")
    motcua = {k for k in example if k.startswith("MOTCUA_")}
    assert motcua <= SETTINGS, f"not settings: {sorted(motcua - SETTINGS)}"
    assert set(example) == motcua, "only MOTCUA_ settings belong in motcua.env.example"
    required = {
        "MOTCUA_ENV",
        "MOTCUA_DATABASE_URL",
        "MOTCUA_REDIS_URL",
        "MOTCUA_SECRET_KEY",
        "MOTCUA_PORTAL_URL",
        "MOTCUA_PORTAL_USERNAME",
        "MOTCUA_PORTAL_PASSWORD",
        "MOTCUA_PORTAL_WEBHOOK_SECRET",
        "MOTCUA_WEBHOOK_ALLOW_PRIVATE_URLS",
        "MOTCUA_CORS_ORIGINS",
    }
    assert required <= motcua
    assert example["MOTCUA_ENV"] == "production"
    assert example["MOTCUA_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "change-me" in example["MOTCUA_SECRET_KEY"]
    assert len(example["MOTCUA_SECRET_KEY"]) >= 32
    assert example["MOTCUA_PORTAL_WEBHOOK_SECRET"].startswith("whsec_")
    # The example is a valid configuration as it stands (validators included).
    Settings(**{k.removeprefix("MOTCUA_").lower(): v for k, v in example.items()})

    postgres = _env_file(DEPLOY / "postgres.env.example")
    assert set(postgres) == {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}
    assert f":{postgres['POSTGRES_PASSWORD']}@" in example["MOTCUA_DATABASE_URL"]


def test_no_real_env_file_is_shipped() -> None:
    assert not (DEPLOY / "motcua.env").exists()
    assert not (DEPLOY / "postgres.env").exists()


# ---------------------------------------------------------------- Kubernetes


@pytest.fixture(scope="module")
def k8s() -> dict[tuple[str, str], dict[str, Any]]:
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in _load_all(path):
            assert "namespace" not in doc["metadata"], f"{path.name}: manifests are namespace-free"
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in objects, key
            objects[key] = doc
    return objects


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    containers = _pod(obj)["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_kustomization_lists_every_manifest(k8s: dict[tuple[str, str], Any]) -> None:
    kustomization = _load_all(K8S / "kustomization.yaml")[0]
    assert "namespace" not in kustomization
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_k8s_objects_exist(k8s: dict[tuple[str, str], Any]) -> None:
    assert set(k8s) >= {
        ("ConfigMap", "motcua-config"),
        ("Secret", "motcua-secrets"),
        ("Job", "motcua-migrate"),
        ("Deployment", "motcua-api"),
        ("Service", "motcua-api"),
        ("Deployment", "motcua-worker"),
        ("Deployment", "motcua-portal-mock"),
        ("Service", "motcua-portal-mock"),
        ("HorizontalPodAutoscaler", "motcua-api"),
    }


def test_k8s_deployments_have_probes_and_run_as_non_root(
    k8s: dict[tuple[str, str], Any],
) -> None:
    deployments = [obj for (kind, _), obj in k8s.items() if kind == "Deployment"]
    assert len(deployments) == 3
    for obj in deployments:
        name = obj["metadata"]["name"]
        container = _container(obj)
        assert "readinessProbe" in container and "livenessProbe" in container, name
        assert _pod(obj)["securityContext"]["runAsNonRoot"] is True, name
        assert _pod(obj)["securityContext"]["runAsUser"] == 10001, name
        assert container["securityContext"]["runAsNonRoot"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert {"requests", "limits"} <= set(container["resources"]), name
        refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
        assert refs == {"motcua-config", "motcua-secrets"}, name
        selector = obj["spec"]["selector"]["matchLabels"]
        assert selector.items() <= obj["spec"]["template"]["metadata"]["labels"].items(), name


def test_k8s_api(k8s: dict[tuple[str, str], Any]) -> None:
    api = k8s[("Deployment", "motcua-api")]
    assert api["spec"]["replicas"] == 2
    container = _container(api)
    assert _starts_with(container["command"], API)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    service = k8s[("Service", "motcua-api")]
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
    hpa = k8s[("HorizontalPodAutoscaler", "motcua-api")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "motcua-api"
    assert hpa["spec"]["minReplicas"] >= 2


def test_k8s_worker_probes_use_arq_check(k8s: dict[tuple[str, str], Any]) -> None:
    worker = k8s[("Deployment", "motcua-worker")]
    assert worker["spec"]["replicas"] == 2
    container = _container(worker)
    assert container["command"] == WORKER
    assert container["livenessProbe"]["exec"]["command"] == WORKER_CHECK
    assert container["readinessProbe"]["exec"]["command"] == WORKER_CHECK


def test_k8s_portal_mock(k8s: dict[tuple[str, str], Any]) -> None:
    mock = k8s[("Deployment", "motcua-portal-mock")]
    container = _container(mock)
    assert _starts_with(container["command"], PORTAL_MOCK)
    assert "--port" in container["command"] and "8090" in container["command"]
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    assert set(env) <= MOCK_SETTINGS | SETTINGS
    assert k8s[("Service", "motcua-portal-mock")]["spec"]["ports"][0]["port"] == 8090


def test_k8s_migration_job(k8s: dict[tuple[str, str], Any]) -> None:
    job = k8s[("Job", "motcua-migrate")]
    assert job["apiVersion"] == "batch/v1"
    assert isinstance(job["spec"]["backoffLimit"], int)
    assert _pod(job)["restartPolicy"] in {"Never", "OnFailure"}
    assert _pod(job)["securityContext"]["runAsNonRoot"] is True
    assert _container(job)["command"] == MIGRATE


def test_k8s_settings_are_real_and_split_secret_from_config(
    k8s: dict[tuple[str, str], Any],
) -> None:
    config = k8s[("ConfigMap", "motcua-config")]["data"]
    secret = k8s[("Secret", "motcua-secrets")]
    assert "data" not in secret, "placeholders go in stringData"
    secret_data = secret["stringData"]
    for key in [*config, *secret_data]:
        assert re.fullmatch(r"MOTCUA_[A-Z0-9_]+", key), key
        assert key in SETTINGS, f"{key} is not a field of Settings"
    assert not set(config) & set(secret_data)
    assert config["MOTCUA_ENV"] == "production"
    assert all(isinstance(v, str) for v in config.values()), "ConfigMap values must be strings"
    assert {"MOTCUA_DATABASE_URL", "MOTCUA_SECRET_KEY", "MOTCUA_PORTAL_PASSWORD"} <= set(
        secret_data
    )
    for key in ("MOTCUA_SECRET_KEY", "MOTCUA_PORTAL_PASSWORD", "MOTCUA_DATABASE_URL"):
        assert "REPLACE-ME" in secret_data[key], key
    header = (K8S / "secret.yaml").read_text(encoding="utf-8").split("apiVersion")[0]
    assert "replace every value" in header.lower()
    for key in ("MOTCUA_SECRET_KEY", "MOTCUA_DATABASE_URL", "MOTCUA_PORTAL_PASSWORD"):
        assert key not in config, f"{key} belongs in the Secret"


# ---------------------------------------------------------------- systemd


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((SYSTEMD / name).read_text(encoding="utf-8"))
    return parser


UNITS = {
    "motcua-api.service": API,
    "motcua-worker.service": WORKER,
    "motcua-portal-mock.service": PORTAL_MOCK,
    "motcua-migrate.service": MIGRATE,
}


@pytest.mark.parametrize("name", sorted(UNITS))
def test_systemd_units(name: str) -> None:
    unit = _unit(name)
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert service["User"] == "motcua"
    assert service["EnvironmentFile"] == "/etc/motcua/motcua.env"
    exec_start = shlex.split(service["ExecStart"])
    assert exec_start[0].startswith("/"), "ExecStart needs an absolute path"
    assert _starts_with(exec_start, UNITS[name])
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
    }.items():
        assert service[key] == value, f"{name}: {key}"
    if name == "motcua-migrate.service":
        assert service["Type"] == "oneshot"
        before = unit["Unit"]["Before"].split()
        assert set(before) == set(UNITS) - {name}
    else:
        assert service["Restart"] == "on-failure"
        assert "motcua-migrate.service" in unit["Unit"]["After"].split()
        assert "motcua-migrate.service" in unit["Unit"]["Requires"].split()


def test_systemd_api_workers_come_from_the_environment() -> None:
    exec_start = shlex.split(_unit("motcua-api.service")["Service"]["ExecStart"])
    assert exec_start[exec_start.index("--workers") + 1] == "${API_WORKERS}"


# ---------------------------------------------------------------- README


def test_readme_has_the_scaling_section() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "## Deployment and scaling" in text
    section = text.split("## Deployment and scaling", 1)[1]
    for needle in (
        "docker build -f deploy/Dockerfile",
        ".dockerignore",
        "PgBouncer",
        "MOTCUA_DB_STATEMENT_CACHE_SIZE=0",
        "MOTCUA_REPORTS_DATABASE_URL",
        "statement_cache_size",
        "SKIP LOCKED",
        "replica",
        "partition",
        "docs/performance.md",
    ):
        assert needle in section, needle
