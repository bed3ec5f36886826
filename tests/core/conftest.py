from tests.dossiers.conftest import procedures  # noqa: F401 - the fixture, shared
