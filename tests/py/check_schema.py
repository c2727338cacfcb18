"""Validates an emotrace JSON export against the JSON Schema in the repository.

Usage: check_schema.py SCHEMA.json EXPORT.json. Prints "valid N observations"; exits 1 listing the first errors.
"""

import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:5]:
    print(f"{'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"valid {len(doc['observations'])} observations")
