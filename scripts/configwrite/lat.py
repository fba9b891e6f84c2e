#!/usr/bin/env python3
"""Save-to-applied delay: atomic (rename over) and in place, alternating two
configs. usage: lat.py BINARY PORT OUTDIR N"""
import os, signal, subprocess, sys, time, urllib.request, json, statistics
binary, port, out, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
os.makedirs(out, exist_ok=True)
live = os.path.join(out, "live.yaml")
def cfg(extra):
    return f"server:\n  listen: 127.0.0.1:{port}\nsources:\n  - {{name: {extra}, type: simulated, interval: 1s, series: [{{metric: m, shape: sine}}]}}\n"
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read().decode()
def names():
    return [s["name"] for s in json.loads(get("/api/v1/sources"))["sources"]]
open(live, "w").write(cfg("s0"))
log = open(os.path.join(out, "server.log"), "w")
p = subprocess.Popen([binary, "-config", live, "-storage.path", ""], stdout=log, stderr=log)
res = {"atomic": [], "inplace": []}
try:
    for _ in range(100):
        try: get("/healthz"); break
        except Exception: time.sleep(0.1)
    k = 0
    for i in range(n):
        for mode in ("atomic", "inplace"):
            k += 1
            name = f"s{k}"
            t0 = time.monotonic()
            if mode == "atomic":
                open(live + ".tmp", "w").write(cfg(name)); os.rename(live + ".tmp", live)
            else:
                open(live, "w").write(cfg(name))
            while names() != [name]:
                time.sleep(0.005)  # polling the API: the delay measured
            res[mode].append(time.monotonic() - t0)
            time.sleep(0.3)
    print(json.dumps({m: round(statistics.median(v) * 1000) for m, v in res.items()}))
finally:
    p.send_signal(signal.SIGTERM); p.wait(20); log.close()
