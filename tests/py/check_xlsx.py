"""Reads an emotrace xlsx export with openpyxl, as a spreadsheet user's script would.

Usage: check_xlsx.py --cells FILE.xlsx prints the first sheet of any workbook as {"cells": [[value, ...], ...],
"formulas": [formula, ...]} (a CSV that LibreOffice converted, say).

Usage: check_xlsx.py FILE.xlsx. Prints one JSON object: {"sheets": [...], "frozen": {sheet: cell},
"headers": {sheet: [...]}, "rows": {sheet: n}, "types": {column: python type of its first data cell},
"first": {column: value}, "faces": [[id, name, named]], "annotations": [[kind, start_ms, end_ms, label]],
"session": {field: value}, "formulas": [formula, ...] (every cell holding a formula, in any sheet; LibreOffice
saves a boolean cell as the formula =TRUE() or =FALSE())}.
"""

import json
import sys

import openpyxl

if sys.argv[1] == "--cells":
    ws = openpyxl.load_workbook(sys.argv[2]).worksheets[0]
    rows = list(ws.iter_rows())
    cells = [[c.value for c in r] for r in rows]
    print(json.dumps({"cells": cells, "formulas": [c.value for r in rows for c in r if c.data_type == "f"]}, default=str))
    sys.exit(0)

wb = openpyxl.load_workbook(sys.argv[1])  # formulas kept as formulas: data_type "f"
out = {"sheets": wb.sheetnames, "frozen": {}, "headers": {}, "rows": {}, "formulas": []}
for ws in wb.worksheets:
    out["frozen"][ws.title] = ws.freeze_panes
    rows = list(ws.iter_rows())
    out["headers"][ws.title] = [c.value for c in rows[0]]
    out["rows"][ws.title] = len(rows) - 1
    out["formulas"] += [c.value for r in rows for c in r if c.data_type == "f"]
    out.setdefault("bold_header", {})[ws.title] = all(c.font.b for c in rows[0])

obs = wb["observations"]
header = [c.value for c in next(obs.iter_rows(max_row=1))]
first = [c.value for c in next(obs.iter_rows(min_row=2, max_row=2))]
out["types"] = {h: type(v).__name__ for h, v in zip(header, first)}
out["first"] = dict(zip(header, first))
out["faces"] = [list(r[:3]) for r in wb["faces"].iter_rows(min_row=2, values_only=True)]
out["annotations"] = [[r[1], r[2], r[3], r[4]] for r in wb["markers and notes"].iter_rows(min_row=2, values_only=True)]
out["session"] = {r[0]: r[1] for r in wb["session"].iter_rows(min_row=2, values_only=True)}
print(json.dumps(out, default=str))
