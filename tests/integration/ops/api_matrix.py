#!/usr/bin/python3
"""Every operation of the served OpenAPI description, called with no token and with each role's
token, from the management namespace. Checks what an operator relies on:
  - public operations answer without a token;
  - others: 401 without a token (and with a wrong one), 403 below the operation's role, and
    neither (nor 404 no_route / 405) at or above it: every documented operation is served;
  - the route table and the description agree (the server refuses to start otherwise; here the
    other direction: nothing documented is missing).
usage: api_matrix.py URL CA WORKDIR   (tokens in WORKDIR/token.{viewer,operator,admin})
Prints one line per call; exits 1 on the first mismatch list.
"""
import http.client, json, ssl, sys, urllib.parse

url, ca, work = sys.argv[1:4]
u = urllib.parse.urlsplit(url)
ctx = ssl.create_default_context(cafile=ca)
tokens = {r: open(f"{work}/token.{r}").read().strip() for r in ("viewer", "operator", "admin")}
rank = {"public": 0, "viewer": 1, "operator": 2, "admin": 3}


def call(method, path, token=None, body=None):
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=5)
    h = {"Authorization": "Bearer " + token} if token else {}
    if body is not None:
        h["Content-Type"] = "application/yaml"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    try:
        j = json.loads(data)
    except ValueError:
        j = {}
    return r.status, j


status, doc = call("GET", "/api/v1/openapi.json", tokens["viewer"])
assert status == 200, f"openapi.json: HTTP {status}"
problems = []
calls = 0
for path, ops in doc["paths"].items():
    for method, op in ops.items():
        method = method.upper()
        need = op["x-rampart-role"]
        concrete = path.replace("{id}", "999999")
        # Bodies that change nothing: an invalid candidate file for validate.
        body = b"not: [valid" if path.endswith("/config/validate") else None
        for who in (None, "wrong", "viewer", "operator", "admin"):
            token = tokens.get(who) if who != "wrong" else "not-a-real-token"
            st, j = call(method, concrete, token, body)
            calls += 1
            have = rank.get(who, 0) if who in tokens else -1
            if j.get("error") in ("no_route", "method_not_allowed"):
                problems.append(f"{method} {path} as {who}: not served ({st} {j.get('error')})")
            elif need == "public":
                if st >= 400 and st != 503:
                    problems.append(f"{method} {path} as {who}: {st}, public operation")
            elif who is None or who == "wrong":
                if st != 401:
                    problems.append(f"{method} {path} as {who}: {st}, want 401")
            elif have < rank[need]:
                if st != 403:
                    problems.append(f"{method} {path} as {who}: {st}, want 403 (needs {need})")
            elif st in (401, 403):
                problems.append(f"{method} {path} as {who}: {st}, want access (needs {need})")
            print(f"   {method:6} {concrete:34} {str(who):9} -> {st}")
print(f"{calls} calls")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
