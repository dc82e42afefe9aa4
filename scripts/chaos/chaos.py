#!/usr/bin/python3
"""Helpers of scripts/chaos-test.sh (Python's standard library only).

    chaos.py pngs DIR                      eight 16x16 grey stripe PNGs (as e2e-test.sh makes them)
    chaos.py field PATH                    a field of the JSON document on stdin (a.b.c); empty when absent
    chaos.py state ID                      the state of a run or a job (job-...) through the gateway
    chaos.py wait ID... --bound S [--want STATE[,STATE]] [--require-version]
                                           polls until every run/job is terminal; prints one line each
                                           and "LOST ..." lines for the ones that are not (exit 1)
    chaos.py models                        every listed model version's manifest and objects exist in S3,
                                           with the size and sha256 the manifest declares; aliases name
                                           listed versions
    chaos.py runs-per-model NAME...        each model name was trained by exactly one run (gateway listing)
    chaos.py compare URL1 URL2 ID...       two gateways answer the same for each run and job
    chaos.py ledger FILE IDS_FILE          Kafka's record of every tracked run and job (Ledger.java's dump)

The gateway, its key and S3 come from GATEWAY_URL, GATEWAY_API_KEY, S3_ENDPOINT, S3_ACCESS_KEY,
S3_SECRET_KEY. Output lines starting with "LOST " are what the suite reports.
"""
import base64
import email.utils
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

TERMINAL_RUN = {"completed", "failed", "cancelled"}
TERMINAL_JOB = {"succeeded", "failed", "cancelled"}


def env(name):
    return os.environ[name]


def http(method, url, body=None, headers=None, timeout=10):
    """(status, bytes); status 0 when nothing answered."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception:  # refused, reset, timed out: nothing answered
        return 0, b""


def gateway(path, base=None):
    status, body = http("GET", (base or env("GATEWAY_URL")) + path, headers={"X-API-Key": env("GATEWAY_API_KEY")})
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, None


def s3_get(bucket, key):
    """GET an object with an AWS signature v2 (S3Proxy takes v2 or v4): (status, bytes)."""
    date = email.utils.formatdate(usegmt=True)
    path = "/" + bucket + "/" + urllib.parse.quote(key)
    to_sign = "GET\n\n\n" + date + "\n" + path
    sig = base64.b64encode(hmac.new(env("S3_SECRET_KEY").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    return http("GET", env("S3_ENDPOINT") + path,
                headers={"Date": date, "Authorization": "AWS " + env("S3_ACCESS_KEY") + ":" + sig}, timeout=30)


def is_job(i):
    return i.startswith("job-")


def state_of(i, base=None):
    """(state or None, the document)."""
    status, doc = gateway(("/v1/sample-jobs/" if is_job(i) else "/v1/trainings/") + i, base)
    if status != 200 or not isinstance(doc, dict):
        return None, {"http": status}
    return doc.get("state"), doc


def describe(i, doc):
    if is_job(i):
        return "%s %s%s" % (i, doc.get("state"), (": " + doc["error"]) if doc.get("error") else "")
    extra = ""
    if doc.get("modelVersion"):
        extra = " version " + doc["modelVersion"]
    if doc.get("error"):
        extra += ": " + str(doc["error"])[:200]
    return "%s %s at step %s%s" % (i, doc.get("state", "?(http %s)" % doc.get("http")), doc.get("step"), extra)


def cmd_pngs(folder):
    def png(path, rows):
        raw = b"".join(b"\x00" + bytes(r) for r in rows)
        chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    for i in range(8):
        png(f"{folder}/img-{i}.png",
            [[230 if (y // (2 + i % 3)) % 2 == 0 else 25 for _ in range(16)] for y in range(16)])


def cmd_field(path):
    try:
        doc = json.load(sys.stdin)
    except ValueError:
        return
    for part in path.split("."):
        if isinstance(doc, dict):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            doc = None
    if doc is not None:
        print(doc if not isinstance(doc, (dict, list)) else json.dumps(doc))


def cmd_wait(args):
    bound, want, ids, require_version = 60.0, None, [], False
    it = iter(args)
    for a in it:
        if a == "--bound":
            bound = float(next(it))
        elif a == "--want":
            want = set(next(it).split(","))
        elif a == "--require-version":
            require_version = True
        else:
            ids.append(a)
    deadline = time.time() + bound
    last = {}
    pending = list(ids)
    while pending and time.time() < deadline:
        for i in list(pending):
            state, doc = state_of(i)
            last[i] = doc
            if state in (TERMINAL_JOB if is_job(i) else TERMINAL_RUN):
                pending.remove(i)
        if pending:
            time.sleep(0.5)
    lost = 0
    for i in ids:
        doc = last.get(i, {})
        state = doc.get("state")
        print("  " + describe(i, doc))
        if i in pending:
            print("LOST %s not terminal within %.0f s (state %s)" % (i, bound, state or "unknown"))
            lost += 1
        elif want and state not in want:
            print("LOST %s ended %s, not %s%s" % (i, state, "/".join(sorted(want)),
                                                  (": " + str(doc.get("error"))[:300]) if doc.get("error") else ""))
            lost += 1
        elif require_version and not is_job(i) and state == "completed" and not doc.get("modelVersion"):
            print("LOST %s completed without a published model version" % i)
            lost += 1
    return 1 if lost else 0


def cmd_models():
    lost = 0
    status, models = gateway("/v1/models")
    if status != 200 or not isinstance(models, list):
        print("LOST the models API answered %s" % status)
        return 1
    checked = 0
    for model in models:
        name = model["name"]
        versions = model.get("versions", [])
        for alias in ("production", "candidate"):
            v = model.get(alias)
            if v and v not in versions:
                print("LOST model %s: alias %s names version %s, which is not listed" % (name, alias, v))
                lost += 1
        for v in versions:
            status, doc = gateway("/v1/models/%s/versions/%s" % (name, v))
            if status != 200:
                print("LOST model %s version %s is listed but its manifest answers %s" % (name, v, status))
                lost += 1
                continue
            manifest = doc["manifest"]
            refs = [("graph", manifest.get("onnx"))]
            if manifest.get("guide"):
                refs.append(("guide", manifest["guide"].get("onnx")))
            for what, ref in refs:
                if not ref:
                    print("LOST model %s version %s: its manifest has no %s" % (name, v, what))
                    lost += 1
                    continue
                status, data = s3_get("ddpm-models", ref["key"])
                if status != 200:
                    print("LOST model %s version %s: its %s %s answers %s in S3" % (name, v, what, ref["key"], status))
                    lost += 1
                elif len(data) != ref["sizeBytes"] or hashlib.sha256(data).hexdigest() != ref["sha256"]:
                    print("LOST model %s version %s: its %s %s is %d bytes, sha256 %s; the manifest says %d, %s"
                          % (name, v, what, ref["key"], len(data), hashlib.sha256(data).hexdigest()[:12],
                             ref["sizeBytes"], ref["sha256"][:12]))
                    lost += 1
            checked += 1
    print("  %d model version(s) of %d model(s): manifest and objects present" % (checked, len(models)))
    return 1 if lost else 0


def cmd_runs_per_model(names):
    status, runs = gateway("/v1/trainings")
    if status != 200 or not isinstance(runs, list):
        print("LOST the trainings API answered %s" % status)
        return 1
    lost = 0
    for name in names:
        mine = [r["runId"] for r in runs if r.get("modelName") == name]
        if len(mine) != 1:
            print("LOST %d runs for the one request that trains %s: %s" % (len(mine), name, " ".join(mine) or "none"))
            lost += 1
    return 1 if lost else 0


def cmd_compare(first, second, ids):
    lost = 0
    keys_run = ("state", "step", "modelVersion", "error")
    keys_job = ("state", "version", "results", "error")
    for i in ids:
        _, a = state_of(i, first)
        _, b = state_of(i, second)
        keys = keys_job if is_job(i) else keys_run
        da = {k: a.get(k) for k in keys}
        db = {k: b.get(k) for k in keys}
        if da != db:
            print("LOST %s: gateway 1 says %s, gateway 2 says %s" % (i, json.dumps(da)[:300], json.dumps(db)[:300]))
            lost += 1
    print("  %d run(s) and job(s) compared" % len(ids))
    return 1 if lost else 0


def cmd_ledger(dump, ids_file):
    """Every tracked run: one TrainingRequested, at most one terminal event, at most one published
    version of its model; every tracked job: one SampleJobRequested, at most one outcome."""
    terminal = {
        "dev.ddpm.training.completed.v1": "completed",
        "dev.ddpm.training.failed.v1": "failed",
        "dev.ddpm.training.cancelled.v1": "cancelled",
        "dev.ddpm.sample-job.completed.v1": "succeeded",
        "dev.ddpm.sample-job.failed.v1": "failed",
    }
    requested = {}
    seeds = {}
    ended = {}
    published = {}
    for line in open(dump, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t", 3)
        if len(parts) < 4:
            continue
        topic, ctype, key, value = parts
        try:
            data = json.loads(value)
        except ValueError:
            continue
        if isinstance(data, dict) and "specversion" in data:  # structured content mode
            data = data.get("data") or {}
        if ctype in ("dev.ddpm.training.requested.v2", "dev.ddpm.sample-job.requested.v2"):
            rid = data.get("runId") or data.get("jobId") or key
            requested[rid] = requested.get(rid, 0) + 1
            seed = (data.get("request") or {}).get("seed") if ctype.startswith("dev.ddpm.sample-job") else None
            if seed is not None:
                seeds[seed] = seeds.get(seed, 0) + 1
        elif ctype in terminal:
            rid = data.get("runId") or data.get("jobId") or key
            outcome = terminal[ctype]
            if ctype == "dev.ddpm.sample-job.failed.v1" and data.get("cancelled"):
                outcome = "cancelled"
            # A redelivery may announce an end again; it must be the same end (state, step, version).
            detail = [str(data[k]) for k in ("step", "modelVersion") if data.get(k) is not None]
            ended.setdefault(rid, []).append(outcome + ("@" + "/".join(detail) if detail else ""))
        elif ctype == "dev.ddpm.model.published.v1":
            published.setdefault(data.get("name") or key, []).append(data.get("version"))
    lost = 0
    tracked = [line.split() for line in open(ids_file, encoding="utf-8") if line.strip()]
    for scenario, i, *rest in tracked:
        what = "job" if is_job(i) else "run"
        if requested.get(i, 0) != 1:
            print("LOST [%s] %s %s: %d request records on Kafka" % (scenario, what, i, requested.get(i, 0)))
            lost += 1
        outcomes = ended.get(i, [])
        # None at all is the scenario's own finding (its wait through the gateway); here: two different
        # ends. The same end announced again (a redelivered request re-announces its stored outcome) is one.
        if len(set(outcomes)) > 1:
            print("LOST [%s] %s %s: %d different terminal events (%s)" % (scenario, what, i, len(set(outcomes)), ", ".join(outcomes)))
            lost += 1
        if is_job(i) and rest and rest[0].startswith("seed="):
            # Each job request of the suite has a seed of its own: more records with it are duplicates.
            n = seeds.get(int(rest[0][5:]), 0)
            if n > 1:
                print("LOST [%s] job %s: its one request became %d job records" % (scenario, i, n))
                lost += 1
        if not is_job(i) and rest:
            versions = published.get(rest[0], [])
            if len(versions) > 1:
                print("LOST [%s] run %s: model %s published %d times (%s)" % (scenario, i, rest[0], len(versions), ", ".join(versions)))
                lost += 1
    print("  %d run(s) and job(s) on Kafka: %d requests, %d terminal events (%d of them repeats of the same end)"
          % (len(tracked), sum(requested.get(t[1], 0) for t in tracked), sum(len(ended.get(t[1], [])) for t in tracked),
             sum(len(ended.get(t[1], [])) - len(set(ended.get(t[1], []))) for t in tracked)))
    return 1 if lost else 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "pngs":
        cmd_pngs(args[0])
        return 0
    if cmd == "field":
        cmd_field(args[0])
        return 0
    if cmd == "state":
        state, _ = state_of(args[0])
        print(state or "")
        return 0
    if cmd == "wait":
        return cmd_wait(args)
    if cmd == "models":
        return cmd_models()
    if cmd == "runs-per-model":
        return cmd_runs_per_model(args)
    if cmd == "compare":
        return cmd_compare(args[0], args[1], args[2:])
    if cmd == "ledger":
        return cmd_ledger(args[0], args[1])
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
