from tests.decisions.conftest import holders, log_de, price_exception  # noqa: F401 - reused fixtures
from tests.reliability.conftest import processes, pytest_runtest_makereport  # noqa: F401
