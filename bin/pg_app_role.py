"""Create the application's PostgreSQL role and database if they are missing.

The role may log in and create databases (the test runner makes its own), and
is never a superuser nor allowed to bypass row-level security.
"""

import os
import sys
from urllib.parse import urlparse

import psycopg
from psycopg import sql


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
    print(f"PostgreSQL role {role} and database {database} are ready.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
