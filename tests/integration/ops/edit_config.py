#!/usr/bin/python3
"""edit_config.py FILE EDIT...: changes a test config in place. Edits:
  add_route     a route 'added-live' (wan '^9' -> sip:198.18.3.2:5090) first (live on reload)
  shrink_ports  realms[1].media.port_max two lower (needs a restart)
  short_idle    dataplane.idle_timeout_s = 3 (media timeouts within a test)
  add_wss       a wss listener on the wan realm (198.18.1.1:8443; no JWT required)
  turn          add_wss, plus the lab's JWT policy, an Origin allow-list (the softphone's
                https://198.18.1.1:8444) and TURN credentials (secret TURN_SECRET_FILE,
                ttl 600 s, turn:198.18.1.1:3478) on the wan realm
"""
import os
import sys

import yaml

path = sys.argv[1]
c = yaml.safe_load(open(path))
for edit in sys.argv[2:]:
    if edit == "add_route":
        c["routes"].insert(0, {"name": "added-live", "from": "wan", "to": "lan",
                               "match_user": "^9", "target": "sip:198.18.3.2:5090"})
    elif edit == "shrink_ports":
        c["realms"][1]["media"]["port_max"] -= 2
    elif edit == "short_idle":
        c["dataplane"]["idle_timeout_s"] = 3
    elif edit == "add_wss":
        c["realms"][0]["signalling"].append({"transport": "wss", "address": "198.18.1.1",
                                             "port": 8443})
    elif edit == "turn":
        wan = c["realms"][0]
        wan["signalling"].append({"transport": "wss", "address": "198.18.1.1", "port": 8443})
        src = os.environ["SRC"]
        wan["jwt"] = {"required": True, "issuer": "rampart-lab", "audience": "rampart",
                      "keys": [{"kid": "lab", "alg": "HS256",
                                "secret_file": f"{src}/etc/lab-certs/jwt-hs256.key"}]}
        wan["allowed_origins"] = ["https://198.18.1.1:8444"]
        wan["turn"] = {"secret_file": os.environ["TURN_SECRET_FILE"], "ttl_s": 600,
                       "uris": ["turn:198.18.1.1:3478?transport=udp"]}
    else:
        sys.exit(f"unknown edit {edit}")
yaml.safe_dump(c, open(path, "w"), default_flow_style=None, sort_keys=False)
