"""The decisions cast (holders, a price-exception type, ``log_de``) for governance tests that need
decisions to look at (time zones)."""

from tests.decisions.conftest import holders, log_de, price_exception  # noqa: F401 - reused fixtures
