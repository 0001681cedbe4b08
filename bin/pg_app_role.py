"""Prepare PostgreSQL for the application: its role, its database, and pg_trgm.

The role may log in and create databases (the test runner makes its own), and
is never a superuser nor allowed to bypass row-level security.

Row-level security lets the planner use an index only for operators marked
LEAKPROOF, and pg_trgm's are not, nor is full text's ``@@``, so contact search
and message search would read every row of an organization. These matching
functions raise no errors that depend on row data, so this script (the one
step run as the database superuser) installs the extension and marks them
LEAKPROOF.
"""

import os
import sys
from urllib.parse import urlparse

import psycopg
from psycopg import sql

LEAKPROOF_FUNCTIONS = (
    "word_similarity_op(text, text)",
    "word_similarity_commutator_op(text, text)",
    "similarity_op(text, text)",
    "textlike(text, text)",
    "ts_match_vq(tsvector, tsquery)",
)


def _on_database(url: str, database: str) -> str:
    return urlparse(url)._replace(path=f"/{database}").geturl()


def main() -> int:
    admin_url = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    app = urlparse(os.environ.get("APP_DATABASE_URL", "postgres://bizbox@127.0.0.1:5432/bizbox"))
    role, database, password = app.username, app.path.lstrip("/"), app.password
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS").format(sql.Identifier(role)))
        if password:
            admin.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(role)))
    with psycopg.connect(_on_database(admin_url, database), autocommit=True) as admin:
        admin.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for function in LEAKPROOF_FUNCTIONS:
            admin.execute(f"ALTER FUNCTION {function} LEAKPROOF")
    print(f"PostgreSQL role {role} and database {database} are ready.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
