"""``python -m bench.profile_import [--prefix SX7] [--rows 20000]``: where a CSV import's time goes.

On a database ``python -m bench`` filled (``DATABASE_URL``), three rounds into fresh months after
the data, each a raw COPY of as many measurement rows then our import (the first COPY reads the
index pages around the new keys from disk and warms them for the rest: compare the later rounds).
Per import: CSV parsing, validation, the service's statements (slowest
first, from an ``execute_wrapper``) and the ``COMMIT`` (deferred foreign-key checks, the on-commit enqueue); the last
round also under cProfile. The rows are removed afterwards (``cleanup_bench_rows``).
"""

import argparse
import cProfile
import io
import os
import pstats
import time
from datetime import date, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accord_bench")


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the rounds; return one ``{"copy", "ours", "commit", "created"}`` (seconds) per round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="SX7", help="Code of the generated org (SX<seed>).")
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from bench.runner import (
        StatementProfile,
        cleanup_bench_rows,
        copy_measurements,
        data_facts,
        entered_during,
        import_csv,
        import_keys,
        measurement_copy_rows,
    )
    from governance.models import User
    from governance.periods import month_shift
    from kpis.services import measurements as service

    prefix = args.prefix
    admin = User.objects.get(username=f"{prefix.lower()}.admin")
    last_month = data_facts(prefix)["last_month"]
    keys = import_keys(prefix, args.rows)
    stamp = datetime.now().astimezone().isoformat()

    def ours(month: date, profile: bool) -> dict:
        profiler = cProfile.Profile() if profile else None
        with StatementProfile() as statements:
            if profiler:
                profiler.enable()
            t0 = time.perf_counter()
            with transaction.atomic():  # the outermost block: its exit is the COMMIT
                upload = SimpleUploadedFile("profile.csv", import_csv(keys, month), content_type="text/csv")
                rows = service.read_csv(upload)
                t1 = time.perf_counter()
                resolved = service.validate_rows(actor=admin, rows=rows, now=entered_during(month), first_row=2)
                t2 = time.perf_counter()
                result = service.measurements_record(actor=admin, rows=rows, source="csv",
                                                     now=entered_during(month), first_row=2, confirm=True)
                t3 = time.perf_counter()
            t4 = time.perf_counter()
            if profiler:
                profiler.disable()
        assert result.created == len(resolved)
        # measurements_record validates again: count validation once.
        print(f"ours into {month:%Y-%m}: {(t4 - t0) - (t2 - t1):.3f} s — read_csv {t1 - t0:.3f}, "
              f"validate {t2 - t1:.3f}, write (validation included) {t3 - t2:.3f}, COMMIT {t4 - t3:.3f}")
        for entry in statements.top(4):
            print(f"    {entry['seconds']:.3f} s  {' '.join(entry['sql'].split())[:100]}")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
            print(out.getvalue())
        return {"ours": (t4 - t0) - (t2 - t1), "commit": t4 - t3, "created": result.created}

    rounds = []
    try:
        for n in range(3):
            copy_month = month_shift(last_month, 11 + 2 * n)
            copy_s = copy_measurements(measurement_copy_rows(keys, copy_month, stamp))
            print(f"raw COPY into {copy_month:%Y-%m}: {copy_s:.3f} s")
            rounds.append({"copy": copy_s, **ours(month_shift(last_month, 12 + 2 * n), profile=n == 2)})
    finally:
        cleanup_bench_rows(prefix, last_month)
    return rounds


if __name__ == "__main__":
    main()
