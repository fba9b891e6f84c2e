#!/usr/bin/env python3
"""Half-written config files on a running pulseboard (trial 14 round 6, F3).
usage: midwrite.py BINARY PORT OUTDIR"""
import os, re, signal, subprocess, sys, time, urllib.request, json

binary, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
live = os.path.join(out, "live.yaml")

def src(name, seed):
    return f"""  - name: {name}
    type: simulated
    interval: 200ms
    seed: {seed}
    series:
      - {{metric: {name}_value, shape: sine}}
"""
head = f"server:\n  listen: 127.0.0.1:{port}\n  auth: {{admin_token: midwrite-admin-token}}\nsources:\n"
A = head + src("steady", 1) + src("alpha", 2) + src("host", 3)
B = head + src("steady", 1) + src("beta", 4) + src("host", 3)

def atomic(text):
    tmp = live + ".tmp"
    open(tmp, "w").write(text)
    os.rename(tmp, live)

def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read().decode()

def reloads():
    m = get("/metrics")
    return {k: float(v) for k, v in re.findall(r'pulseboard_config_reloads_total\{result="(\w+)"\} (\S+)', m)}

def sources():
    return sorted(s["name"] for s in json.loads(get("/api/v1/sources"))["sources"])

def quiet(sec=2.5):
    time.sleep(sec)  # longer than the settle window: what the watcher does in it is the subject

atomic(A)
log = open(os.path.join(out, "server.log"), "w")
p = subprocess.Popen([binary, "-config", live, "-storage.path", ""], stdout=log, stderr=log)
try:
    for _ in range(100):
        try:
            get("/healthz"); break
        except Exception:
            time.sleep(0.1)
    res = {}
    # 1. Emptied in place.
    before = reloads()
    with open(live, "w"):
        pass
    quiet()
    res["empty"] = {"sources": sources(), "reloads": {k: reloads()[k] - before.get(k, 0) for k in reloads()}}
    atomic(A); quiet()
    # 2. Two chunks 600 ms apart, the first ending before "host".
    before = reloads()
    cut = A.index("  - name: host")
    with open(live, "w") as f:
        f.write(A[:cut]); f.flush()
        time.sleep(0.6)
        f.write(A[cut:])
    quiet()
    res["prefix"] = {"sources": sources(), "reloads": {k: reloads()[k] - before.get(k, 0) for k in reloads()}}
    # 3. 105 torn in-place rewrites over about 6 s, alternating A and B, then an atomic save of B.
    before = reloads()
    t0 = time.time()
    for i in range(105):
        text = (B if i % 2 == 0 else A)
        with open(live, "w") as f:
            for j in range(0, len(text), 200):
                f.write(text[j:j+200]); f.flush()
                time.sleep(0.01)
        time.sleep(max(0, t0 + (i + 1) * 6 / 105 - time.time()))
    atomic(B)
    quiet()
    res["torn"] = {"sources": sources(), "reloads": {k: reloads()[k] - before.get(k, 0) for k in reloads()}}
    # 4. Replaced by a symlink to a file still being written (pause 600 ms mid-file).
    before = reloads()
    other = os.path.join(out, "other.yaml")
    cut = A.index("  - name: host")
    f = open(other, "w"); f.write(A[:cut]); f.flush()
    os.symlink("other.yaml", live + ".lnk"); os.rename(live + ".lnk", live)
    time.sleep(0.6); f.write(A[cut:]); f.close()
    quiet()
    res["symlink"] = {"sources": sources(), "reloads": {k: reloads()[k] - before.get(k, 0) for k in reloads()}}
    os.remove(live); atomic(B); quiet()
    # 5. Deleted, then written again 600 ms later.
    before = reloads()
    os.remove(live)
    time.sleep(0.6)
    with open(live, "w") as f:
        f.write(A)
    quiet()
    res["delete"] = {"sources": sources(), "reloads": {k: reloads()[k] - before.get(k, 0) for k in reloads()}}
    print(json.dumps(res, indent=1))
finally:
    p.send_signal(signal.SIGTERM); p.wait(20)
    log.close()
