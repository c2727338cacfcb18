"""Reads an emotrace Parquet dataset with DuckDB: the observations as one table (the per-session share of each
dominant emotion), and the annotations table beside it (joined to the observations on the partition keys).

Usage: check_duckdb.py DIR. Prints one JSON object: {"columns": {name: type}, "shares": {session: {class: share}},
"dates": [...], "annotation_columns": {name: type}, "annotations": [[session, kind, label, start_ms, end_ms,
track_id, observations in the range]]}.
"""

import json
import sys

import duckdb

root = sys.argv[1]
obs = f"{root}/observations"
con = duckdb.connect()
rel = con.sql(f"SELECT * FROM read_parquet('{obs}/**/*.parquet', hive_partitioning = true)")
columns = dict(zip(rel.columns, map(str, rel.types)))
# The README's query, per session instead of per room.
rows = con.sql(
    f"""
    SELECT session, dominant_emotion,
           count(*) / sum(count(*)) OVER (PARTITION BY session) AS share
    FROM read_parquet('{obs}/**/*.parquet', hive_partitioning = true)
    GROUP BY session, dominant_emotion
    ORDER BY session, dominant_emotion
    """
).fetchall()
shares = {}
for session, emotion, share in rows:
    shares.setdefault(session, {})[emotion] = share
dates = [str(d) for (d,) in con.sql(f"SELECT DISTINCT date FROM read_parquet('{obs}/**/*.parquet', hive_partitioning = true)").fetchall()]
# The README's segmenting query: observations inside each marker or note (a marker: the second after it).
ann = f"read_parquet('{root}/annotations/**/*.parquet', hive_partitioning = true)"
annotation_columns = dict(zip(con.sql(f"SELECT * FROM {ann}").columns, map(str, con.sql(f"SELECT * FROM {ann}").types)))
annotations = con.sql(
    f"""
    SELECT a.session, a.kind, a.label, a.start_ms, a.end_ms, a.track_id, count(o.timestamp_ms) AS observations
    FROM {ann} a
    LEFT JOIN read_parquet('{obs}/**/*.parquet', hive_partitioning = true) o
      ON o.date = a.date AND o.session = a.session
     AND o.timestamp_ms BETWEEN a.start_ms AND coalesce(a.end_ms, a.start_ms + 1000)
    GROUP BY ALL
    ORDER BY a.session, a.start_ms
    """
).fetchall()
print(json.dumps({"columns": columns, "shares": shares, "dates": dates, "annotation_columns": annotation_columns,
                  "annotations": [list(r) for r in annotations]}))
