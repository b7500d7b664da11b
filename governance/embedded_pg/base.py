"""Django's PostgreSQL backend, pointed at the embedded server (started on first connection).

``settings.DATABASES`` names this engine when ``DATABASE_URL`` is unset; everything else — SQL,
features, introspection — is the stock ``postgresql`` backend's.
"""

from pathlib import Path

from django.conf import settings
from django.db.backends.postgresql import base as postgresql

from governance import embedded_pg


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def get_connection_params(self):
        if not self.settings_dict["HOST"]:
            endpoint, _ = embedded_pg.ensure_running(Path(settings.ACCORD_EMBEDDED_PG_DIR))
            # Written back so that anything reading settings_dict (dbshell, the URL handed to a
            # worker subprocess) sees where the server listens.
            self.settings_dict["HOST"], self.settings_dict["PORT"] = endpoint.host, str(endpoint.port)
        return super().get_connection_params()
