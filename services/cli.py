"""The ``motcua`` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from services.core.settings import Environment, describe_settings_error, get_settings

OPENAPI_PATH = Path("openapi") / "openapi.json"


def openapi_document() -> str:
    from services.api.app import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _export_openapi(args: argparse.Namespace) -> int:
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(openapi_document(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from services.core.cli_support import command_session
    from services.core.errors import AppError
    from services.identity.service import ensure_admin

    async def run() -> int:
        try:
            async with command_session() as session:
                user, created = await ensure_admin(
                    session, args.username, args.password, args.agency_code, args.agency_name
                )
        except AppError as exc:
            print(f"motcua: {exc.detail}", file=sys.stderr)
            return 2
        print(f"admin {user.username} {'created' if created else 'already existed; updated'}")
        return 0

    return asyncio.run(run())


def _seed_demo(args: argparse.Namespace) -> int:
    from services.core.cli_support import command_session
    from services.demo import seed_identity, seed_procedures, seed_processes

    if get_settings().env is Environment.PRODUCTION:
        print("motcua: seed-demo refuses to run with MOTCUA_ENV=production", file=sys.stderr)
        return 2

    async def run() -> int:
        async with command_session() as session:
            logins = await seed_identity(session)
            catalogue = await seed_procedures(session)
            process = await seed_processes(session)
        print("Demo logins (username / password / role @ agency):")
        for login in logins:
            print(
                f"  {login.username:<12} {login.password:<22} {login.role.value:<10} "
                f"@ {login.agency_code}"
            )
        print(f"Sample procedure catalogue: {catalogue.summary()}")
        print(f"Internal process (liên thông): {process}")
        return 0

    return asyncio.run(run())


def _import_procedures(args: argparse.Namespace) -> int:
    from services.core.cli_support import command_session, progress
    from services.procedures.importer import ImportFileError, read_catalogue, save_catalogue

    path = Path(args.file)
    try:
        procedures, rejected = read_catalogue(path)
    except ImportFileError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2

    async def run() -> int:
        async with command_session() as session:
            report = await save_catalogue(
                session,
                procedures,
                rejected,
                progress=lambda done, total: progress(done, total, "procedures"),
            )
        print(f"{path}: {report.summary()}")
        for row in report.rejected:
            print(f"  line {row.line}: {row.code or '(no code)'}: {row.reason}")
        return 0

    return asyncio.run(run())


def _run_job(args: argparse.Namespace) -> int:
    from services.core.db import dispose_engines
    from services.core.logging import configure_logging
    from services.worker.main import JOBS

    configure_logging(get_settings().log_level)

    async def run() -> dict[str, int]:
        try:
            return await JOBS[args.name]({})
        finally:
            await dispose_engines()

    result = asyncio.run(run())
    print(f"{args.name}: " + ", ".join(f"{k}={v}" for k, v in result.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="motcua operations")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create-admin", help="create (or reset) an administrator; idempotent")
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument(
        "--agency-code",
        default="000.00.00.H56",
        help="agency the admin belongs to (created if missing)",
    )
    p.add_argument("--agency-name", default="UBND tỉnh")
    p.set_defaults(func=_create_admin)

    p = sub.add_parser("seed-demo", help="load demo agencies, users and procedures; idempotent")
    p.set_defaults(func=_seed_demo)

    p = sub.add_parser(
        "import-procedures", help="create or update procedures from a catalogue CSV; idempotent"
    )
    p.add_argument("file", metavar="FILE.csv", help="UTF-8 CSV with the sample catalogue's columns")
    p.set_defaults(func=_import_procedures)

    from services.worker.main import JOBS

    p = sub.add_parser("run-job", help="run one pass of a worker job, then exit")
    p.add_argument("name", choices=sorted(JOBS))
    p.set_defaults(func=_run_job)

    p = sub.add_parser("export-openapi", help="write the OpenAPI document to openapi/")
    p.add_argument("--output", default=str(OPENAPI_PATH))
    p.set_defaults(func=_export_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        get_settings()
    except ValidationError as exc:
        print(f"motcua: {describe_settings_error(exc)}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except (OSError, ConnectionError) as exc:
        print(
            f"motcua: cannot reach a backing service ({type(exc).__name__}: {exc})", file=sys.stderr
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
