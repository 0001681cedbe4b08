"""Full-text matching on a stored ``search_vector`` column, shared by the apps' searches.

Contacts and messages keep a ``tsvector`` column filled by PostgreSQL itself (migrations crm
0007 and inbox 0003), which a GIN index covers. The column is not a model field, so the match
names it through another column of the same row, whatever alias the query gives that table:
under row-level security the planner may use the index only because the row's own column is
matched with the leakproof ``@@`` and nothing else is applied to the row.
"""

from django.db.models import BooleanField, F, Func, Value


class VectorMatches(Func):
    """``search_vector @@ <parser>('simple', query)`` on the row of ``anchor`` (a column of the
    same table); ``parser`` is ``plainto_tsquery`` for free text, ``to_tsquery`` for a query
    already written in tsquery syntax from safe words."""

    output_field = BooleanField()

    def __init__(self, anchor: str, query: str, *, parser: str = "plainto_tsquery"):
        if parser not in ("plainto_tsquery", "to_tsquery"):
            raise ValueError(f"Unknown tsquery parser: {parser}")
        self.parser = parser
        super().__init__(F(anchor), Value(query))

    def as_sql(self, compiler, connection, **extra):
        (anchor, _), (query, query_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        column = anchor.rsplit(".", 1)[0] + '."search_vector"' if "." in anchor else '"search_vector"'
        return f"{column} @@ {self.parser}('simple', {query})", tuple(query_params)
