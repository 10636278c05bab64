"""``has_element``: does a JSON list contain a value? (tags filtering)

PostgreSQL answers with jsonb containment; SQLite with ``json_each``. Django's
own ``contains`` lookup on JSONField is not supported on SQLite.
"""

from __future__ import annotations

import json

from django.db.models import JSONField, Lookup


@JSONField.register_lookup
class HasElement(Lookup):
    lookup_name = "has_element"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # lhs is the compiled column reference; the value travels as a parameter.
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608
            [*lhs_params, self.rhs],
        )

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", [*lhs_params, json.dumps([self.rhs])]
