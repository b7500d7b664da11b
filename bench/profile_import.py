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
    from django.db import connection, transaction

    from bench.runner import cleanup_bench_rows, data_facts, month_add
    from governance.models import OrgUnit, User
    from kpis.models import KPI, Measurement
    from kpis.services import measurements as service

    prefix = args.prefix
    admin = User.objects.get(username=f"{prefix.lower()}.admin")
    last_month = data_facts(prefix)["last_month"]
    kpis = list(KPI.objects.filter(code__startswith=f"{prefix}-K").exclude(aggregation="ratio")
                .order_by("code").values_list("id", "code"))
    markets = list(OrgUnit.objects.filter(code__startswith=f"{prefix}-", level="market").order_by("code")
                   .values_list("id", "code"))
    keys = [(k, m) for k in kpis for m in markets][:args.rows]
    stamp = datetime.now().astimezone().isoformat()

    def raw_copy(month: date) -> float:
        body = "".join(f"{k[0]}\t{m[0]}\t\\N\t0\t{month.isoformat()}\t{100 + i % 900}.5\t\\N\t\\N\tcopy\t\\N\t"
                       f"{stamp}\n" for i, (k, m) in enumerate(keys))
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur, cur.cursor.copy(
                f"COPY {Measurement._meta.db_table} (kpi_id, org_unit_id, partnership_id, partnership_key, period, "
                f"value, numerator, denominator, source, entered_by_id, entered_at) FROM STDIN") as copy:
            copy.write(body)
        return time.perf_counter() - start

    def ours(month: date, profile: bool) -> dict:
        text = "kpi,org_unit,partnership,period,value,numerator,denominator\n" + "".join(
            f"{k[1]},{m[1]},,{month:%Y-%m},{100 + i % 900}.5,,\n" for i, (k, m) in enumerate(keys))
        statements: list[tuple[float, str]] = []

        def timing(execute, sql, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                statements.append((time.perf_counter() - start, " ".join(sql.split())[:100]))

        profiler = cProfile.Profile() if profile else None
        with connection.execute_wrapper(timing):
            if profiler:
                profiler.enable()
            t0 = time.perf_counter()
            with transaction.atomic():  # the outermost block: its exit is the COMMIT
                upload = SimpleUploadedFile("profile.csv", text.encode(), content_type="text/csv")
                rows = service.read_csv(upload)
                t1 = time.perf_counter()
                resolved = service.validate_rows(actor=admin, rows=rows, first_row=2)
                t2 = time.perf_counter()
                result = service.measurements_record(actor=admin, rows=rows, source="csv",
                                                     now=datetime.now().astimezone(), first_row=2)
                t3 = time.perf_counter()
            t4 = time.perf_counter()
            if profiler:
                profiler.disable()
        assert result.created == len(resolved)
        # measurements_record validates again: count validation once.
        print(f"ours into {month:%Y-%m}: {(t4 - t0) - (t2 - t1):.3f} s — read_csv {t1 - t0:.3f}, "
              f"validate {t2 - t1:.3f}, write (validation included) {t3 - t2:.3f}, COMMIT {t4 - t3:.3f}")
        for seconds, sql in sorted(statements, reverse=True)[:4]:
            print(f"    {seconds:.3f} s  {sql}")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
            print(out.getvalue())
        return {"ours": (t4 - t0) - (t2 - t1), "commit": t4 - t3, "created": result.created}

    rounds = []
    try:
        for n in range(3):
            copy_month = month_add(last_month, 11 + 2 * n)
            copy_s = raw_copy(copy_month)
            print(f"raw COPY into {copy_month:%Y-%m}: {copy_s:.3f} s")
            rounds.append({"copy": copy_s, **ours(month_add(last_month, 12 + 2 * n), profile=n == 2)})
    finally:
        cleanup_bench_rows(prefix, last_month)
    return rounds


if __name__ == "__main__":
    main()
