# ruff: noqa: S608 - the SQL below is assembled from catalog names (quoted) and fixed fragments, never from input
"""A full rebuild into a fresh table, swapped in for the cell table (issue 22).

Rebuilding in place (``DELETE`` every cell, insert them again) leaves a dead row under every key of
the unique index for the inserts to step over, and the table twice its size until a vacuum — which
the rebuild's own long transaction keeps from running. Instead the full rollup writes the cells into
a fresh table without indexes, builds the indexes once after the load (a sort, not millions of
index insertions), analyzes it, and then, in the same transaction, drops the old table and gives
the new one its name and the name of every index, constraint and sequence the old one had — the
names the migrations created and later migrations refer to. Readers keep reading the old table until
the swap, which holds its exclusive lock only from the ``DROP`` to the commit; a rebuild that dies
rolls back entirely (the fresh table vanishes, the old one and the claimed dirty marks come back).

What is copied: columns with their defaults, identity (the sequence continues from the old one's
value, so ids keep growing as they did), ``CHECK`` and ``NOT NULL`` constraints (same names, by
``LIKE … INCLUDING CONSTRAINTS``), primary key, unique constraints and every other index (same
definitions, renamed to the old names at the swap), storage options, comments and privileges.
``table_shape`` declines — the caller then rebuilds in place — when the table has anything this
does not carry over: foreign keys from or to it, views or rules on it, triggers, row security,
extended statistics, inheritance or partitions, or an owner other than the user running the rollup.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction

# The swap's exclusive lock waits for readers already inside the old table, and every reader that
# arrives meanwhile queues behind it: a long report would stall every dashboard. So the swap asks
# for the lock for at most SWAP_LOCK_TIMEOUT_MS, steps back (savepoint) and tries again, and only
# after SWAP_LOCK_TRIES waits as long as it takes.
SWAP_LOCK_TIMEOUT_MS = 2000
SWAP_LOCK_TRIES = 10
LOCK_NOT_AVAILABLE = "55P03"

_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ (USING .*)$", re.DOTALL)


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class TableShape:
    """What a fresh copy of ``table`` needs besides its columns, read from the catalog."""

    table: str
    fresh: str  # the name the copy is built under
    constraints: list[tuple[str, str]] = field(default_factory=list)  # (name, definition) of PK/UNIQUE/EXCLUDE
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, "CREATE … INDEX {name} ON {table} USING …")
    sequences: list[tuple[str, str]] = field(default_factory=list)  # (sequence name, column) owned by the table
    owner: str = ""
    reloptions: list[str] = field(default_factory=list)
    grants: list[tuple[str, str, bool]] = field(default_factory=list)  # (grantee or PUBLIC, privilege, grantable)

    def temp_name(self, n: int) -> str:
        return f"{self.fresh}_i{n}"[:63]


def table_shape(cur, table: str, fresh: str) -> TableShape | None:
    """The table's indexes, constraints and sequences, or ``None`` if a swap would lose something."""
    cur.execute(
        "SELECT c.oid, c.relkind, c.relhastriggers, c.relrowsecurity, c.relhassubclass, "
        "pg_has_role(c.relowner, 'USAGE'), c.reloptions, quote_ident(pg_get_userbyid(c.relowner)), "
        "EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid), "
        "EXISTS (SELECT 1 FROM pg_statistic_ext WHERE stxrelid = c.oid), "
        "EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid), "
        "EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
        "        WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = c.oid AND r.ev_class <> c.oid), "
        "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f' AND (k.conrelid = c.oid OR k.confrelid = c.oid)) "
        "FROM pg_class c WHERE c.oid = to_regclass(%s)", [qn(table)])
    row = cur.fetchone()
    if row is None:
        return None
    oid, kind, triggers, rls, subclass, owned, reloptions, owner, inherits, ext_stats, rules, views, fkeys = row
    if kind != "r" or triggers or rls or subclass or not owned or inherits or ext_stats or rules or views or fkeys:
        return None
    shape = TableShape(table=table, fresh=fresh, owner=owner, reloptions=list(reloptions or []))
    cur.execute("SELECT conname, pg_get_constraintdef(oid), conindid FROM pg_constraint "
                "WHERE conrelid = %s AND contype IN ('p', 'u', 'x') ORDER BY contype, conname", [oid])
    backing = set()
    for name, definition, index_oid in cur.fetchall():
        shape.constraints.append((name, definition))
        backing.add(index_oid)
    cur.execute("SELECT x.indexrelid, i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s ORDER BY i.relname", [oid])
    for index_oid, name, definition in cur.fetchall():
        if index_oid in backing:
            continue
        match = _INDEX_DEF.match(definition)
        if match is None:
            return None
        shape.indexes.append((name, f"CREATE {match.group(1) or ''}INDEX {{name}} ON {{table}} {match.group(3)}"))
    cur.execute("SELECT s.relname, a.attname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
                "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
                "WHERE d.classid = 'pg_class'::regclass AND d.refobjid = %s AND d.deptype IN ('a', 'i') "
                "ORDER BY a.attname", [oid])
    shape.sequences = list(cur.fetchall())
    cur.execute("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, a.privilege_type, "
                "a.is_grantable FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
                "LEFT JOIN pg_roles r ON r.oid = a.grantee WHERE c.oid = %s AND a.grantee <> c.relowner", [oid])
    shape.grants = list(cur.fetchall())
    return shape


def create_fresh(cur, shape: TableShape) -> None:
    """An empty, index-less copy of the table's columns, defaults, identity and checks, with the
    old table's owner; its identity sequences continue from the old ones' values. A regular table:
    built unlogged and then ``SET LOGGED`` (which rewrites it into the WAL) it was no faster at 1M
    (docs/benchmarks.md, "The full rebuild as an operator runs it")."""
    t, f = qn(shape.table), qn(shape.fresh)
    cur.execute(f"DROP TABLE IF EXISTS {f}")
    cur.execute(f"CREATE TABLE {f} (LIKE {t} INCLUDING DEFAULTS "
                f"INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE "
                f"INCLUDING COMPRESSION INCLUDING COMMENTS)")
    cur.execute(f"ALTER TABLE {f} OWNER TO {shape.owner}")
    if shape.reloptions:
        cur.execute(f"ALTER TABLE {f} SET ({', '.join(shape.reloptions)})")
    for sequence, column in shape.sequences:
        cur.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), last_value, is_called) FROM {qn(sequence)}",
                    [f, column])
    for grantee, privilege, grantable in shape.grants:
        cur.execute(f"GRANT {privilege} ON {f} TO {grantee}{' WITH GRANT OPTION' if grantable else ''}")


def index_fresh(cur, shape: TableShape) -> None:
    """The old table's primary key, unique constraints and indexes on the loaded copy, under
    temporary names (index names are unique per schema while the old table exists)."""
    f = qn(shape.fresh)
    for n, (_name, definition) in enumerate(shape.constraints):
        cur.execute(f"ALTER TABLE {f} ADD CONSTRAINT {qn(shape.temp_name(n))} {definition}")
    for n, (_name, template) in enumerate(shape.indexes, start=len(shape.constraints)):
        cur.execute(template.format(name=qn(shape.temp_name(n)), table=f))


def swap_in(cur, shape: TableShape) -> None:
    """Drop the old table and give the copy its name and its indexes', constraints' and sequences'
    names. The ``DROP`` takes the exclusive lock (held to the commit); every statement after it is a
    catalog update."""
    t, f = qn(shape.table), qn(shape.fresh)
    cur.execute(f"SELECT {', '.join('pg_get_serial_sequence(%s, %s)' for _ in shape.sequences) or 'NULL'}",
                [x for _sequence, column in shape.sequences for x in (f, column)])
    fresh_sequences = cur.fetchone()
    _drop_old(cur, t)
    cur.execute(f"ALTER TABLE {f} RENAME TO {t}")
    for n, (name, _definition) in enumerate(shape.constraints):
        cur.execute(f"ALTER TABLE {t} RENAME CONSTRAINT {qn(shape.temp_name(n))} TO {qn(name)}")
    for n, (name, _template) in enumerate(shape.indexes, start=len(shape.constraints)):
        cur.execute(f"ALTER INDEX {qn(shape.temp_name(n))} RENAME TO {qn(name)}")
    for (sequence, _column), fresh_sequence in zip(shape.sequences, fresh_sequences, strict=False):
        cur.execute(f"ALTER SEQUENCE {fresh_sequence} RENAME TO {qn(sequence)}")


def _drop_old(cur, table: str) -> None:
    for attempt in range(SWAP_LOCK_TRIES):
        try:
            with transaction.atomic():  # a savepoint: a lock timeout undoes only this attempt
                cur.execute(f"SET LOCAL lock_timeout = {int(SWAP_LOCK_TIMEOUT_MS)}")
                cur.execute(f"DROP TABLE {table}")
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            time.sleep(min(0.1 * 2**attempt, 2.0))  # let the queued readers through
        else:
            cur.execute("SET LOCAL lock_timeout = DEFAULT")
            return
    cur.execute(f"DROP TABLE {table}")
