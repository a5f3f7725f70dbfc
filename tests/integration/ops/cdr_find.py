#!/usr/bin/python3
"""cdr_find.py FILE EXPR: prints the first CDR line `r` (a dict) for which EXPR holds; exit 1
when none (or no file yet)."""
import json
import sys

try:
    lines = open(sys.argv[1]).readlines()
except OSError:
    sys.exit(1)
for line in lines:
    r = json.loads(line)
    if eval(sys.argv[2], {}, {"r": r}):  # the test's own expression
        print(json.dumps(r))
        sys.exit(0)
sys.exit(1)
