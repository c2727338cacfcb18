"""Reads an emotrace Parquet dataset with DuckDB as one table: the per-session share of each dominant emotion.

Usage: check_duckdb.py DIR. Prints one JSON object: {"columns": {name: type}, "shares": {session: {class: share}},
"dates": [...]}.
"""

import json
import sys

import duckdb

root = sys.argv[1]
con = duckdb.connect()
rel = con.sql(f"SELECT * FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true)")
columns = dict(zip(rel.columns, map(str, rel.types)))
# The README's query, per session instead of per room.
rows = con.sql(
    f"""
    SELECT session, dominant_emotion,
           count(*) / sum(count(*)) OVER (PARTITION BY session) AS share
    FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true)
    GROUP BY session, dominant_emotion
    ORDER BY session, dominant_emotion
    """
).fetchall()
shares = {}
for session, emotion, share in rows:
    shares.setdefault(session, {})[emotion] = share
dates = [str(d) for (d,) in con.sql(f"SELECT DISTINCT date FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true)").fetchall()]
print(json.dumps({"columns": columns, "shares": shares, "dates": dates}))
