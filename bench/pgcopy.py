"""COPY rows into a model's table (psycopg 3), filling the fields' defaults: how the seed writes
hundreds of thousands of rows in seconds."""

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin


def copy_rows(model, rows) -> int:
    """COPY ``rows`` (dicts keyed by field attname) into ``model``'s table; missing fields take the
    field's default (or NULL). An auto-increment primary key is left to its sequence. Returns the
    number of rows written."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin))]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    fallback = {}
    for f in fields:
        if f.has_default():
            fallback[f.attname] = f.get_default
        elif f.null:
            fallback[f.attname] = None
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        json_by_name = {f.attname: f for f in fields if f.attname in json_fields}
        for row in rows:
            values = []
            for name in names:
                if name in row:
                    value = row[name]
                elif name in fallback:
                    default = fallback[name]
                    value = default() if callable(default) else default
                else:
                    raise ValueError(f"{model.__name__}.{name} has no value and no default")
                if name in json_by_name:
                    value = json_by_name[name].get_db_prep_save(value, connection)
                values.append(value)
            copy.write_row(values)
            count += 1
    return count
