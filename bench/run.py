#!/usr/bin/env python3
"""`make bench`: runs every measurement, prints one table, writes it as JSON.

Python 3 standard library only. `make bench` builds the Release tree first and calls:

    python3 bench/run.py --build-dir build-bench --out build/bench

Steps (bench/README.md explains each row and how to read it):
  1. in-process micro-benchmarks (sbapi_bench, Google Benchmark), medians of repetitions;
  2. nginx (Debian) from a temp config, 2 workers, a fixed 150-byte JSON: wrk GET  [reference]
  3. `sbapi serve` (Release, temp data dir, --threads 2, logs to /dev/null), 10,000 users
     preloaded: wrk GET random existing ids, GET of a missing id, POST unique ids; RSS idle/after;
     then GET with auth off and with a token (--auth local), each on a fresh server; then, on
     --auth local, 10,000 assets POSTed with one owner's token and wrk GET /assets?limit=25;
  4. nginx again, so the reference brackets sbapi (the ratio uses the mean of both runs);
  5. cold start and size of build/lambda/bootstrap.zip (`make package`; never built here): the
     package test's own measurement (tests/package/test_package.py, test_cold_start), run as a
     subprocess that writes its figures as JSON (SBAPI_PACKAGE_REPORT).

Only 127.0.0.1 is used. Every process started here is stopped by its PID. The run reports and
never fails on a missed target; it exits non-zero only when it could not measure.
"""

import argparse
import ast
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import instructions

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The goals, word for word: issue 17's (HTTP ratios, instructions, RSS), issue 6's (the core, the
# cold start's wall time and the zip), each printed beside its figure.
GOAL_GET = 0.9
GOAL_GET_CPU = 1.2
GOAL_TOKEN = 0.9
GOAL_POST = 0.4
GOAL_LIST = 0.3
T_GET = "≥ %g × nginx (2 workers) in the same run" % GOAL_GET
T_GET_CPU = "≤ %g × nginx's" % GOAL_GET_CPU
T_TOKEN = "≥ %g × auth off" % GOAL_TOKEN
T_POST = "≥ %g × nginx in the same run" % GOAL_POST
T_LIST = "≥ %g × nginx" % GOAL_LIST
T_CORE = "≤ 5 µs"
T_RSS = "≤ 30 MiB"
T_COLD = "≤ 10 ms, peak RSS ≤ 10 MiB"
T_ZIP = "≤ 3 MB"
# Issue 17's instruction goals are against the measurement issue's counts (commit 14417c5, the
# first bench/baseline.json), not against whatever baseline.json holds now.
ISSUE17_REFERENCE = {"commit": "14417c5", "get": 18618, "post": 117140, "cold_start": 6553319}
ISSUE17_ICOUNT_GOAL_PCT = {"get": -25.0, "post": -25.0, "cold_start": -30.0}

NOT_BUILT = "packaged bootstrap not built yet: run `make package`"
ZIP_PATH = instructions.ZIP_PATH
PACKAGE_TEST = os.path.join(ROOT, "tests", "package", "test_package.py")
COLD_TIMEOUT = 600  # s: moto's start-up, create-tables and 21 runs of the bootstrap

# nginx's fixed answer: a user-shaped JSON document of exactly 150 bytes.
NGINX_BODY = ('{"userId":"user-000123","email":"user-000123@example.com","name":"Bench User Smit",'
              '"department":"Performance","createdAt":1795597326,"ttl":1803373326}')
assert len(NGINX_BODY) == 150, len(NGINX_BODY)

_live = []  # processes to stop if anything goes wrong


def log(msg):
    print("bench: " + msg, flush=True)


# ---- processes -----------------------------------------------------------------------------

def start(cmd, **kwargs):
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, **kwargs)
    _live.append(proc)
    return proc


def stop(proc, sig=signal.SIGTERM, timeout=15):
    """Stops one process we started, by its PID: `sig`, then SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc in _live:
        _live.remove(proc)


def stop_all():
    for proc in list(_live):
        try:
            # A Python child (the package test) gets SIGINT: its atexit handlers stop moto.
            stop(proc, getattr(proc, "stop_signal", signal.SIGTERM), timeout=5)
        except Exception:  # noqa: BLE001 - last resort cleanup
            pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, proc, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s before answering" % (proc.args[0], proc.returncode))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing answered on 127.0.0.1:%d within %.0f s" % (port, timeout))


def proc_memory(pid):
    """VmRSS and VmHWM of a process, in KiB (from /proc/<pid>/status)."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0])
    return out


def fs_type(path):
    try:
        return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    """pid and its children (nginx's workers), from /proc."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    data = f.read()
            except OSError:
                continue  # gone meanwhile
            if int(data[data.rindex(")") + 2:].split()[1]) == pid:
                pids.append(int(entry))
    return pids


def cpu_seconds(pids):
    """utime + stime of these processes (all their threads), from /proc/<pid>/stat, in s."""
    ticks = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
        fields = data[data.rindex(")") + 2:].split()  # fields[0] is field 3 (state)
        ticks += int(fields[11]) + int(fields[12])   # utime (14), stime (15)
    return ticks / CLK_TCK


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


# ---- 1. micro-benchmarks -------------------------------------------------------------------

def run_micro(bench_bin, out_dir, tmp_parent, repetitions):
    out_file = os.path.join(out_dir, "micro.json")
    cmd = [bench_bin, "--benchmark_repetitions=%d" % repetitions,
           "--benchmark_report_aggregates_only=true", "--benchmark_out=" + out_file,
           "--benchmark_out_format=json"]
    log("micro-benchmarks: " + " ".join(cmd))
    env = dict(os.environ, SBAPI_BENCH_TMPDIR=tmp_parent)
    ram = None
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        ram = tempfile.mkdtemp(prefix="sbapi-bench-", dir="/dev/shm")
        env["SBAPI_BENCH_RAMDIR"] = ram
    try:
        proc = start(cmd, env=env)
        rc = proc.wait()
        _live.remove(proc)
    finally:
        if ram:
            shutil.rmtree(ram, ignore_errors=True)
    if rc != 0:
        raise RuntimeError("sbapi_bench exited with %d" % rc)
    with open(out_file) as f:
        data = json.load(f)
    medians = {}
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            raise RuntimeError("%s: %s" % (b["name"], b.get("error_message")))
        is_median = b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"
        if b.get("run_type") == "aggregate" and not is_median:
            continue
        name = b.get("run_name", b["name"]).split("/")[0]
        if not is_median and name in medians:
            continue  # a single run (no repetitions): keep the first
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        medians[name] = {"real_ns": b["real_time"] * scale, "cpu_ns": b["cpu_time"] * scale,
                         "iterations": b["iterations"],
                         "items_per_second": b.get("items_per_second"),
                         "posts_per_commit": b.get("posts_per_commit")}
    return {"context": data.get("context", {}), "median": medians}


# ---- HTTP load -----------------------------------------------------------------------------

def run_wrk(url, scenario, args, opts, tmp_dir, label, server_pid, headers=()):
    """One wrk run; returns req/s, latency percentiles (µs), error counts and the server's CPU
    time per request answered (server_pid and its children, utime + stime over the run)."""
    parts = [os.path.join(HERE, "wrk", "threads.lua")]
    if scenario:
        parts.append(os.path.join(HERE, "wrk", scenario))
    parts.append(os.path.join(HERE, "wrk", "report.lua"))
    script = os.path.join(tmp_dir, "wrk-%s.lua" % label)
    with open(script, "w") as out:
        for p in parts:
            with open(p) as f:
                out.write(f.read() + "\n")
    cmd = ["wrk", "-t%d" % opts.wrk_threads, "-c%d" % opts.connections,
           "-d%ds" % opts.duration, "--latency", "-s", script, url]
    for header in headers:
        cmd += ["-H", header]
    if args:
        cmd += ["--"] + [str(a) for a in args]
    log("wrk %s: %s" % (label, " ".join(c if not c.startswith("Authorization:") else
                                         "Authorization: Bearer …" for c in cmd)))
    server = process_tree(server_pid)
    cpu_before = cpu_seconds(server)
    proc = start(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        text, _ = proc.communicate(timeout=opts.duration + 60)
    finally:
        stop(proc)
    cpu = cpu_seconds(server) - cpu_before
    with open(os.path.join(opts.out, "wrk-%s.txt" % label), "w") as f:
        f.write(" ".join(cmd) + "\n\n" + text)
    line = next((ln for ln in text.splitlines() if ln.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError("wrk %s failed (exit %s):\n%s" % (label, proc.returncode, text))
    raw = json.loads(line[len("WRK_JSON "):])
    seconds = raw["duration_us"] / 1e6
    result = {
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "latency_us": raw["latency_us"],
        "errors": raw["errors"],
        "server_cpu_s": cpu,
        "cpu_us_per_request": cpu * 1e6 / raw["requests"] if raw["requests"] else None,
    }
    log("  %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %s, server CPU %.2f µs/request" % (
        result["rps"], result["p50_ms"], result["p99_ms"], raw["errors"],
        result["cpu_us_per_request"] or 0))
    return result


def nginx_binary():
    for path in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def run_nginx(opts, tmp_parent, label):
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx not found: run `bash scripts/setup.sh --bench`")
    prefix = tempfile.mkdtemp(prefix="nginx-", dir=tmp_parent)
    port = free_port()
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""# written by bench/run.py for one run
worker_processes 2;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {p}/client_body;
  proxy_temp_path {p}/proxy;
  fastcgi_temp_path {p}/fastcgi;
  uwsgi_temp_path {p}/uwsgi;
  scgi_temp_path {p}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      default_type application/json;
      return 200 '{body}';
    }}
  }}
}}
""".format(p=prefix, port=port, body=NGINX_BODY))
    cmd = [binary, "-p", prefix, "-c", conf, "-e", os.path.join(prefix, "error.log"),
           "-g", "daemon off;"]
    log("nginx (%s): %s" % (label, " ".join(cmd)))
    proc = start(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(port, "/", proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        body = conn.getresponse().read()
        conn.close()
        if len(body) != 150:
            raise RuntimeError("nginx answered %d bytes, not 150" % len(body))
        return run_wrk("http://127.0.0.1:%d/" % port, None, [], opts, prefix, label, proc.pid)
    finally:
        stop(proc, signal.SIGTERM)  # the master stops its workers
        shutil.rmtree(prefix, ignore_errors=True)


def preload_users(bench_bin, data_dir, count):
    """Stores user-000000 .. user-<count-1> in data_dir's database; returns seconds.

    The users go in through Api::handle (sbapi_bench --preload-users), exactly as POST /users
    stores them. That runs in a RAM staging dir when /dev/shm exists, where an fsync is free, and
    the closed database file is then copied to data_dir: preloading is set-up, not a
    measurement, and on a shared disk 10,000 fsyncs can take half a minute."""
    started = time.monotonic()
    stage = None
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        stage = tempfile.mkdtemp(prefix="sbapi-preload-", dir="/dev/shm")
    try:
        proc = start([bench_bin, "--preload-users", stage or data_dir, str(count)])
        rc = proc.wait()
        _live.remove(proc)
        if rc != 0:
            raise RuntimeError("preloading users failed (exit %d)" % rc)
        if stage:
            for name in os.listdir(stage):
                shutil.copy2(os.path.join(stage, name), os.path.join(data_dir, name))
    finally:
        if stage:
            shutil.rmtree(stage, ignore_errors=True)
    return time.monotonic() - started


def run_sbapi(opts, tmp_parent):
    binary = os.path.join(opts.build_dir, "sbapi")
    data_dir = tempfile.mkdtemp(prefix="sbapi-data-", dir=tmp_parent)
    port = free_port()
    cmd = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads",
           str(opts.server_threads), "--data-dir", data_dir]
    seconds = preload_users(os.path.join(opts.build_dir, "sbapi_bench"), data_dir, opts.users)
    log("preloaded %d users in %.1f s" % (opts.users, seconds))
    log("sbapi: " + " ".join(cmd) + " >/dev/null")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SBAPI_")}
    proc = start(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    out = {"data_dir_fs": fs_type(data_dir), "preload": {"users": opts.users, "seconds": seconds}}
    try:
        wait_http(port, "/health", proc)
        time.sleep(0.5)
        out["rss_idle_kib"] = proc_memory(proc.pid)
        log("  idle: %s" % out["rss_idle_kib"])
        for uid in ("user-000000", "user-%06d" % (opts.users - 1)):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/users/" + uid)
            status = conn.getresponse().status
            conn.close()
            if status != 200:
                raise RuntimeError("preloaded %s answers %d, not 200" % (uid, status))
        base = "http://127.0.0.1:%d" % port
        out["get"] = run_wrk(base, "get_existing.lua", [opts.users], opts, tmp_parent,
                             "sbapi-get", proc.pid)
        out["get_missing"] = run_wrk(base, "get_missing.lua", [], opts, tmp_parent,
                                     "sbapi-get-missing", proc.pid)
        out["post"] = run_wrk(base, "post_unique.lua", ["w%d" % int(time.time())], opts,
                              tmp_parent, "sbapi-post", proc.pid)
        time.sleep(0.5)
        out["rss_after_kib"] = proc_memory(proc.pid)
        log("  after the load: %s" % out["rss_after_kib"])
        if proc.poll() is not None:
            raise RuntimeError("sbapi exited during the load (%s)" % proc.returncode)
        stop(proc, signal.SIGTERM)
        # The same GET with authentication on (--auth local, an admin's token: every preloaded
        # user may be read) against the same GET with it off, as a pair: each on a server started
        # afresh on the same data (same cold item cache), one right after the other.
        token = subprocess.run([binary, "token", "--sub", "bench-admin", "--group", "admin",
                                "--data-dir", data_dir], capture_output=True, text=True,
                               check=True, env=env).stdout.strip()
        for name, extra, headers in (("get_auth_off", [], []),
                                     ("get_token", ["--auth", "local"],
                                      ["Authorization: Bearer " + token])):
            log("sbapi: " + " ".join(cmd + extra) + " >/dev/null")
            proc = start(cmd + extra, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=env)
            wait_http(port, "/health", proc)
            out[name] = run_wrk(base, "get_existing.lua", [opts.users], opts, tmp_parent,
                                "sbapi-" + name.replace("_", "-"), proc.pid, headers=headers)
            if out[name]["errors"].get("status"):
                raise RuntimeError("%s got non-2xx answers: %s" % (name, out[name]))
            stop(proc, signal.SIGTERM)
        if opts.assets > 0:
            proc = run_asset_listing(opts, tmp_parent, cmd, env, port, data_dir, out)
    finally:
        stop(proc, signal.SIGTERM)
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


def preload_assets(port, token, count, clients=16):
    """POST /assets asset-00000 .. asset-<count-1> with `token` (so one owner has them all), from
    `clients` keep-alive connections at once (the server group-commits concurrent writes).
    Returns seconds. Through the API because an asset's owner comes from the caller's token."""
    started = time.monotonic()
    failures = []

    def post_range(first):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for i in range(first, count, clients):
                body = json.dumps({"assetId": "asset-%05d" % i, "fileName": "f-%05d.bin" % i,
                                   "contentType": "application/octet-stream"})
                conn.request("POST", "/assets", body, {"Content-Type": "application/json",
                                                       "Authorization": "Bearer " + token})
                response = conn.getresponse()
                answer = response.read()
                if response.status != 201:
                    failures.append("asset-%05d: %d %s" % (i, response.status, answer[:200]))
                    return
        except OSError as e:
            failures.append("client %d: %s" % (first, e))
        finally:
            conn.close()

    threads = [threading.Thread(target=post_range, args=(k,), daemon=True)
               for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError("preloading assets failed: %s" % "; ".join(failures[:3]))
    return time.monotonic() - started


def run_asset_listing(opts, tmp_parent, cmd, env, port, data_dir, out):
    """GET /assets?limit=25 with authentication on (issue 14's listing; issue 17's goal): the
    server with `--auth local` on the same data dir, `opts.assets` assets created by POST /assets
    with one non-admin subject's token, then wrk asks for that owner's first page with the same
    token. Sets out["list_assets"] and out["assets_preload"]; returns the server's process."""
    binary = cmd[0]
    token = subprocess.run([binary, "token", "--sub", "bench-owner", "--data-dir", data_dir],
                           capture_output=True, text=True, check=True, env=env).stdout.strip()
    log("sbapi: " + " ".join(cmd + ["--auth", "local"]) + " >/dev/null")
    proc = start(cmd + ["--auth", "local"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 env=env)
    wait_http(port, "/health", proc)
    seconds = preload_assets(port, token, opts.assets)
    log("preloaded %d assets (owner bench-owner, POST /assets) in %.1f s" % (opts.assets, seconds))
    out["assets_preload"] = {"assets": opts.assets, "seconds": seconds, "owner": "bench-owner"}
    # The page wrk will ask for: full, the owner's, newest first, with a token to go on.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/assets?limit=25", headers={"Authorization": "Bearer " + token})
    response = conn.getresponse()
    page = json.loads(response.read())
    conn.close()
    items = page.get("items") or []
    limit = min(25, opts.assets)
    if (response.status != 200 or len(items) != limit
            or any(item.get("ownerId") != "bench-owner" for item in items)
            or (page.get("nextToken") is None) != (opts.assets <= 25)):
        raise RuntimeError("GET /assets?limit=25 answered %d with %d items (expected %d of "
                           "bench-owner's), nextToken %r" % (response.status, len(items), limit,
                                                             page.get("nextToken")))
    out["list_assets"] = run_wrk("http://127.0.0.1:%d/assets?limit=25" % port, None, [], opts,
                                 tmp_parent, "sbapi-list-assets", proc.pid,
                                 headers=["Authorization: Bearer " + token])
    if out["list_assets"]["errors"].get("status"):
        raise RuntimeError("GET /assets?limit=25 got non-2xx answers: %s" % out["list_assets"])
    return proc


# ---- 5. cold start of the packaged bootstrap -----------------------------------------------

def run_cold_start(zip_path, tmp_parent, bench_sbapi):
    """The package test's cold-start measurement, as it is: `test_package.py
    PackageTest.test_cold_start` in a subprocess (moto, the fake Runtime API, the zip unpacked in
    an empty root under `unshare -r --mount --root`, 20 runs), which writes its figures to the
    JSON file named by SBAPI_PACKAGE_REPORT. Returns that dict, or {"unavailable": reason} when
    the test skipped (no user namespaces, no moto), failed or wrote nothing."""
    if not os.path.isfile(zip_path):
        return {"unavailable": NOT_BUILT}
    report = os.path.join(tmp_parent, "cold-start.json")
    env = {k: v for k, v in os.environ.items() if k != "CI"}  # a missing peer: skip, not fail
    env["SBAPI_PACKAGE"] = zip_path
    env["SBAPI_PACKAGE_REPORT"] = report
    if not env.get("SBAPI_BIN"):  # the test's `sbapi create-tables`: build/ if built, else ours
        normal = os.path.join(ROOT, "build", "sbapi")
        env["SBAPI_BIN"] = normal if os.access(normal, os.X_OK) else bench_sbapi
    cmd = [sys.executable, PACKAGE_TEST, "-v", "PackageTest.test_cold_start"]
    log("cold start: SBAPI_PACKAGE_REPORT=%s %s" % (report, " ".join(cmd)))
    out_file = tempfile.TemporaryFile(dir=tmp_parent)
    proc = start(cmd, env=env, cwd=ROOT, stdout=out_file, stderr=subprocess.STDOUT)
    proc.stop_signal = signal.SIGINT
    try:
        rc = proc.wait(timeout=COLD_TIMEOUT)
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        stop(proc, signal.SIGINT)
    out_file.seek(0)
    output = out_file.read().decode("utf-8", "replace")
    out_file.close()
    if rc == 0 and os.path.isfile(report):
        with open(report, encoding="utf-8") as f:
            data = json.load(f)
        log("  " + next((ln.strip() for ln in output.splitlines()
                         if ln.startswith("cold start (")), "measured"))
        return data
    # unittest -v prints a skip as "... skipped '<reason>'" (the reason's repr, on one line).
    skipped = re.search(r"\.\.\. skipped ('.*'|\".*\")\s*$", output, re.M)
    if skipped:
        return {"unavailable": "not measured: " + ast.literal_eval(skipped.group(1))}
    if rc is None:
        why = "did not finish within %d s" % COLD_TIMEOUT
    else:
        lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
        errors = [ln for ln in lines if re.match(r"\w*(Error|Exception|Unavailable)\b", ln)]
        why = "exit %d: %s" % (rc, (errors or lines or ["no output"])[-1])
    log("  the package test's cold-start run failed; its output:\n" + output[-3000:])
    return {"unavailable": "not measured: tests/package test_cold_start " + why[:200]}


# ---- the table -----------------------------------------------------------------------------

def fmt_ns(ns):
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.2f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_rate(x):
    return "{:,.0f}".format(x)


def verdict(ok):
    return "meets" if ok else "MISSES"


def fmt_count(n):
    return "{:,.0f}".format(n)


def cpu_cell(r, nginx_cpu):
    """'14.20 µs = 1.80 × nginx' for one wrk run of sbapi (nginx_cpu: µs per request)."""
    us = r.get("cpu_us_per_request")
    if us is None:
        return "n/a"
    if not nginx_cpu:
        return "%.2f µs" % us
    return "%.2f µs = %.2f × nginx" % (us, us / nginx_cpu)


def build_rows(micro, http, nginx_rps, bootstrap, cold=None, icounts=None, baseline=None):
    rows = []

    def row(figure, value, target="—", ratio="", *, key, number=None, unit=None, met=None,
            ratio_value=None, cpu="", cpu_us=None, cpu_ratio=None):
        rows.append({"key": key, "figure": figure, "value": value, "target": target,
                     "ratio": ratio, "number": number, "unit": unit, "ratio_value": ratio_value,
                     "meets_target": met, "cpu": cpu, "cpu_us_per_request": cpu_us,
                     "cpu_ratio_to_nginx": cpu_ratio})

    # HTTP
    if http is not None:
        g, m, p = http["get"], http["get_missing"], http["post"]
        nginx_cpus = [r["cpu_us_per_request"] for r in http["nginx"] if r.get("cpu_us_per_request")]
        nginx_cpu = statistics.mean(nginx_cpus) if nginx_cpus else None

        def cpu_fields(r):
            us = r.get("cpu_us_per_request")
            return {"cpu": cpu_cell(r, nginx_cpu), "cpu_us": us,
                    "cpu_ratio": us / nginx_cpu if us and nginx_cpu else None}

        def http_value(r):
            return "%s req/s  p50 %.2f ms  p99 %.2f ms" % (fmt_rate(r["rps"]), r["p50_ms"],
                                                           r["p99_ms"])

        rg = g["rps"] / nginx_rps
        row("GET /users/{id} req/s", http_value(g), T_GET,
            "%.2f × nginx: %s" % (rg, verdict(rg >= GOAL_GET)), key="http_get", number=g["rps"],
            unit="req/s", met=rg >= GOAL_GET, ratio_value=rg, **cpu_fields(g))
        gc = cpu_fields(g)["cpu_ratio"]
        if gc is not None:
            row("GET /users/{id}: server CPU per request vs nginx's", "%.2f µs vs %.2f µs" % (
                g["cpu_us_per_request"], nginx_cpu), T_GET_CPU, "%.2f × nginx's: %s" % (
                gc, verdict(gc <= GOAL_GET_CPU)), key="http_get_cpu", number=gc, unit="ratio",
                met=gc <= GOAL_GET_CPU, ratio_value=gc)
        rp = p["rps"] / nginx_rps
        row("POST /users req/s (durable: WAL)", http_value(p), T_POST,
            "%.2f × nginx: %s" % (rp, verdict(rp >= GOAL_POST)), key="http_post", number=p["rps"],
            unit="req/s", met=rp >= GOAL_POST, ratio_value=rp, **cpu_fields(p))
        t = http.get("get_token")
        if t is not None:
            # Against its pair: the auth-off GET on a server restarted just before it.
            off = http.get("get_auth_off", g)
            rt = t["rps"] / off["rps"]
            cpu_ratio = (t["cpu_us_per_request"] / off["cpu_us_per_request"]
                         if t.get("cpu_us_per_request") and off.get("cpu_us_per_request") else None)
            row("GET /users/{id} with a valid token (--auth local)", http_value(t), T_TOKEN,
                "%.2f × auth off (%s req/s%s), %.2f × nginx: %s" % (
                    rt, fmt_rate(off["rps"]),
                    ", CPU %.2f ×" % cpu_ratio if cpu_ratio else "",
                    t["rps"] / nginx_rps, verdict(rt >= GOAL_TOKEN)),
                key="http_get_token", number=t["rps"], unit="req/s", met=rt >= GOAL_TOKEN,
                ratio_value=rt, **cpu_fields(t))
        la = http.get("list_assets")
        if la is not None:
            rl = la["rps"] / nginx_rps
            row("GET /assets?limit=25 req/s (%s assets, --auth local)" % fmt_rate(
                http["assets_preload"]["assets"]), http_value(la), T_LIST,
                "%.2f × nginx: %s" % (rl, verdict(rl >= GOAL_LIST)), key="http_list_assets",
                number=la["rps"], unit="req/s", met=rl >= GOAL_LIST, ratio_value=rl,
                **cpu_fields(la))
        row("GET /users/{missing} req/s (404)", http_value(m), "—",
            "%.2f × nginx" % (m["rps"] / nginx_rps), key="http_get_missing", number=m["rps"],
            unit="req/s", ratio_value=m["rps"] / nginx_rps, **cpu_fields(m))
        n = http["nginx"]
        row("nginx, 2 workers, fixed 150-byte JSON", "%s req/s  p50 %.2f ms  p99 %.2f ms" % (
            fmt_rate(nginx_rps), statistics.mean(r["p50_ms"] for r in n),
            statistics.mean(r["p99_ms"] for r in n)), "reference",
            "runs: " + " / ".join(fmt_rate(r["rps"]) for r in n), key="http_nginx",
            number=nginx_rps, unit="req/s",
            cpu=("%.2f µs (runs: %s)" % (nginx_cpu, " / ".join("%.2f" % c for c in nginx_cpus))
                 if nginx_cpu else "n/a"), cpu_us=nginx_cpu, cpu_ratio=1.0 if nginx_cpu else None)
        after = http["rss_after_kib"]
        mib = after["VmRSS"] / 1024
        row("server RSS after the load", "%.1f MiB (peak %.1f MiB)" % (
            mib, after["VmHWM"] / 1024), T_RSS, "%.2f × target: %s" % (mib / 30, verdict(mib <= 30)),
            key="rss_after", number=mib, unit="MiB", met=mib <= 30, ratio_value=mib / 30)
        idle = http["rss_idle_kib"]["VmRSS"] / 1024
        row("server RSS idle", "%.1f MiB" % idle, "—", "", key="rss_idle", number=idle, unit="MiB")
    # instruction counts (callgrind): these compare across days
    if icounts is not None:
        changes = instructions.compare(icounts, baseline)
        base_commit = (baseline or {}).get("commit") or "?"
        for key in instructions.KEYS:
            c = icounts.get(key) or {"unavailable": "not measured"}
            if "unavailable" in c:
                row(instructions.LABELS[key], c["unavailable"], "—", "n/a", key="icount_" + key)
                continue
            runs = c["runs"]
            value = fmt_count(c["median"])
            if len(runs) > 1:
                value += " (%d runs, spread %.3f %%)" % (len(runs), c["spread_pct"])
            if key in changes:
                ratio = "%+.2f %% vs baseline (%s)" % (changes[key], base_commit)
            else:
                ratio = "no baseline: `make bench-baseline`"
            # Issue 17's goal, against its fixed reference.
            ref, goal = ISSUE17_REFERENCE[key], ISSUE17_ICOUNT_GOAL_PCT[key]
            change = (c["median"] - ref) / ref * 100
            ratio += "; %+.1f %% vs %s: %s" % (change, ISSUE17_REFERENCE["commit"],
                                               verdict(change <= goal))
            row(instructions.LABELS[key], value, "%+g %% vs %s (%s)" % (
                goal, ISSUE17_REFERENCE["commit"], fmt_count(ref)), ratio, key="icount_" + key,
                number=c["median"], unit="instructions", ratio_value=changes.get(key),
                met=change <= goal)
        for key in instructions.EXTRA_KEYS:
            c = icounts.get(key) or {"unavailable": "not measured"}
            if "median" not in c:
                row(instructions.EXTRA_LABELS[key], c["unavailable"], "—", "n/a", key="icount_" + key)
                continue
            ratio = ("%.2f × the auth-off GET; " % (c["median"] / icounts["get"]["median"])
                     if key == "get_token" and "median" in icounts.get("get", {}) else "")
            ratio += ("%+.2f %% vs baseline (%s)" % (changes[key], base_commit) if key in changes
                      else "no baseline: `make bench-baseline`")
            row(instructions.EXTRA_LABELS[key], fmt_count(c["median"]), "—", ratio,
                key="icount_" + key, number=c["median"], unit="instructions")
        # Metrics on vs off, in the same run (issue 16's goal).
        for key, off_key in instructions.METRICS_KEYS.items():
            on, off = icounts.get(key) or {}, icounts.get(off_key) or {}
            label = "instructions per %s with metrics on" % ("GET" if off_key == "get" else "POST")
            if "median" not in on or "median" not in off:
                row(label, on.get("unavailable") or "not measured", "—", "n/a", key="icount_" + key)
                continue
            extra = (on["median"] - off["median"]) / off["median"] * 100
            goal = instructions.METRICS_GOAL_PCT
            row(label, fmt_count(on["median"]), "≤ +%g %% vs off" % goal,
                "%+.2f %% vs metrics off: %s" % (extra, verdict(extra <= goal)), key="icount_" + key,
                number=on["median"], unit="instructions", met=extra <= goal, ratio_value=extra)
    # the core
    if micro is not None:
        med = micro["median"]
        core = med["BM_CoreGetNoopStore"]["cpu_ns"]
        row("handler's own cost per GET", fmt_ns(core) + " (no-op store)", T_CORE,
            "%.2f × target: %s" % (core / 5000, verdict(core <= 5000)), key="core_get",
            number=core, unit="ns", met=core <= 5000, ratio_value=core / 5000)
    # Lambda
    cold_figure = "cold start (packaged, exec → first response)"
    if cold is None or "unavailable" in cold:
        row(cold_figure, (cold or {}).get("unavailable") or NOT_BUILT, T_COLD, "n/a",
            key="cold_start")
    else:
        ms = statistics.median(cold["exec_to_response_ms"])
        rss_mib = max(cold["peak_rss_kib"]) / 1024
        row(cold_figure, "median %.1f ms of %d (%.1f–%.1f ms), peak RSS %.1f MiB" % (
            ms, cold["runs"], min(cold["exec_to_response_ms"]), max(cold["exec_to_response_ms"]),
            rss_mib), T_COLD, "%.2f × 10 ms, %.2f × 10 MiB: %s" % (
            ms / 10, rss_mib / 10, verdict(ms <= 10 and rss_mib <= 10)), key="cold_start",
            number=ms, unit="ms", met=ms <= 10 and rss_mib <= 10, ratio_value=ms / 10)
    if bootstrap is None:
        row("bootstrap.zip", NOT_BUILT, T_ZIP, "n/a", key="bootstrap_zip")
    else:
        mb = bootstrap / 1e6
        row("bootstrap.zip", "%.2f MB (%s bytes)" % (mb, fmt_rate(bootstrap)), T_ZIP,
            "%.2f × target: %s" % (mb / 3, verdict(mb <= 3)), key="bootstrap_zip", number=bootstrap,
            unit="bytes", met=mb <= 3, ratio_value=mb / 3)
    # in-process detail
    if micro is not None:
        med = micro["median"]

        def micro_row(name, figure, *, wall=False, key):
            ns = med[name]["real_ns" if wall else "cpu_ns"]
            row(figure, "%s/op  %s ops/s" % (fmt_ns(ns), fmt_rate(1e9 / ns)), "—",
                "wall" if wall else "cpu", key=key, number=ns, unit="ns")

        micro_row("BM_RouterDispatch", "router dispatch (GET /users/{id})", key="router")
        micro_row("BM_UserParseSerialize", "user JSON parse + serialize", key="json_user")
        micro_row("BM_SqliteGet", "GET handler over SqliteTable, item cache on (Api::handle)",
                  key="sqlite_get")
        micro_row("BM_SqlitePost", "POST handler over SQLite (fsync'd)", wall=True,
                  key="sqlite_post")
        concurrent = med.get("BM_SqlitePostConcurrent")
        if concurrent and concurrent.get("items_per_second"):
            per_commit = concurrent.get("posts_per_commit")
            row("POST handler, 16 threads at once (group commit)",
                "%s POSTs/s%s" % (fmt_rate(concurrent["items_per_second"]),
                                  "  %.1f POSTs per COMMIT" % per_commit if per_commit else ""),
                "—", "wall", key="sqlite_post_concurrent",
                number=concurrent["items_per_second"], unit="ops/s")
        micro_row("BM_SigV4Presign", "SigV4 presign_url (PUT)", key="presign")
        micro_row("BM_CoreGetNoopStoreNoLog", "handler's own cost per GET, no access log",
                  key="core_get_nolog")
        if "BM_TokenVerifyCacheHit" in med:
            micro_row("BM_TokenVerifyCacheHit", "token verification, cache hit (a reused token)",
                      key="token_hit")
            micro_row("BM_TokenVerifyEs256", "token verification, miss: ES256 (--auth local)",
                      key="token_miss_es256")
            micro_row("BM_TokenVerifyRs256", "token verification, miss: RS256 2048 (Cognito)",
                      key="token_miss_rs256")
    return rows


def print_table(rows):
    headers = ("figure", "value", "server CPU / request", "target", "ratio / verdict")
    keys = ("figure", "value", "cpu", "target", "ratio")
    if not any(r.get("cpu") for r in rows):
        headers, keys = headers[:2] + headers[3:], keys[:2] + keys[3:]
    cols = [[h] + [r.get(k) or "" for r in rows] for h, k in zip(headers, keys)]
    widths = [max(len(c) for c in col) for col in cols]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line([r.get(k) or "" for k in keys]))


def cmake_cache(build_dir):
    cache = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for ln in f:
                if ln.startswith(("CMAKE_BUILD_TYPE:", "CMAKE_CXX_FLAGS_RELEASE:",
                                  "CMAKE_INTERPROCEDURAL_OPTIMIZATION:", "CMAKE_CXX_COMPILER:")):
                    k, _, v = ln.strip().partition("=")
                    cache[k.split(":")[0]] = v
    except OSError:
        pass
    return cache


def git_head():
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--tmp-dir", default=None,
                    help="parent of the temporary data dirs (default: the build dir, on disk)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--server-threads", type=int, default=2)
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--assets", type=int, default=10000,
                    help="assets preloaded for GET /assets?limit=25 (0: no listing row)")
    ap.add_argument("--repetitions", type=int, default=5, help="micro-benchmark repetitions")
    ap.add_argument("--zip", default=ZIP_PATH,
                    help="the Lambda package the cold-start rows measure (default: %(default)s)")
    ap.add_argument("--skip-micro", action="store_true")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-cold-start", action="store_true",
                    help="do not run the packaged bootstrap's cold-start measurement")
    ap.add_argument("--only", choices=("cold-start",),
                    help="measure only this row (cold-start: the packaged bootstrap's cold start"
                         " and zip size; needs `make package`, not the bench build)")
    ap.add_argument("--skip-instructions", action="store_true",
                    help="do not count instructions (callgrind)")
    ap.add_argument("--instruction-runs", type=int, default=1,
                    help="callgrind runs per instruction count (the median is shown)")
    ap.add_argument("--quick", action="store_true",
                    help="`make bench-quick`: instruction counts and micro-benchmarks only")
    ap.add_argument("--write-baseline", action="store_true",
                    help="`make bench-baseline`: instruction counts only (3 runs), written to "
                         "bench/baseline.json")
    opts = ap.parse_args()
    if opts.only == "cold-start":
        opts.skip_micro = opts.skip_http = opts.skip_instructions = True
        opts.skip_cold_start = False
    if opts.quick:
        opts.skip_http = opts.skip_cold_start = True
    if opts.write_baseline:
        opts.skip_micro = opts.skip_http = opts.skip_cold_start = True
        opts.skip_instructions = False
        opts.instruction_runs = max(opts.instruction_runs, 3)
    opts.build_dir = os.path.abspath(opts.build_dir)
    opts.out = os.path.abspath(opts.out)
    os.makedirs(opts.out, exist_ok=True)
    tmp_root = os.path.abspath(opts.tmp_dir or opts.build_dir)
    os.makedirs(tmp_root, exist_ok=True)
    tmp_parent = tempfile.mkdtemp(prefix="bench-tmp-", dir=tmp_root)

    def on_signal(signum, _frame):
        stop_all()
        shutil.rmtree(tmp_parent, ignore_errors=True)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started = time.monotonic()
    report = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git": git_head(),
        "build": cmake_cache(opts.build_dir),
        "machine": {"cpus": os.cpu_count(), "loadavg_start": loadavg(),
                    "tmp_fs": fs_type(tmp_parent)},
        "settings": {"wrk": "-t%d -c%d -d%ds --latency" % (opts.wrk_threads, opts.connections,
                                                            opts.duration),
                     "server_threads": opts.server_threads, "users": opts.users,
                     "assets": opts.assets,
                     "micro_repetitions": opts.repetitions,
                     "instruction_calls": instructions.CALLS,
                     "instruction_runs": opts.instruction_runs},
    }
    micro = http = cold = icounts = None
    baseline = instructions.load_baseline()
    try:
        if not opts.skip_micro:
            micro = run_micro(os.path.join(opts.build_dir, "sbapi_bench"), opts.out, tmp_parent,
                              opts.repetitions)
        if not opts.skip_http:
            if shutil.which("wrk") is None:
                raise RuntimeError("wrk not found: run `bash scripts/setup.sh`")
            nginx_runs = [run_nginx(opts, tmp_parent, "nginx-1")]
            http = run_sbapi(opts, tmp_parent)
            nginx_runs.append(run_nginx(opts, tmp_parent, "nginx-2"))
            http["nginx"] = nginx_runs
        if not opts.skip_cold_start:
            # Last, after the load: it is not a failure when it cannot run (the row says why).
            cold = run_cold_start(opts.zip, tmp_parent, os.path.join(opts.build_dir, "sbapi"))
        if not opts.skip_instructions:
            # After the load: valgrind is slow but its counts do not mind a busy machine.
            log("instruction counts (callgrind), %d run(s) each" % opts.instruction_runs)
            icounts = instructions.measure(opts.build_dir, tmp_parent, opts.instruction_runs, log,
                                           zip_path=opts.zip)
    except RuntimeError as e:
        print("bench: cannot measure: %s" % e, file=sys.stderr)
        return 1
    finally:
        stop_all()
        shutil.rmtree(tmp_parent, ignore_errors=True)

    bootstrap = os.path.getsize(opts.zip) if os.path.isfile(opts.zip) else None
    if cold is None and opts.skip_cold_start:
        cold = {"unavailable": "not measured (--skip-cold-start)"}
    nginx_rps = statistics.mean(r["rps"] for r in http["nginx"]) if http else None
    if opts.quick or opts.write_baseline:
        bootstrap = cold = None  # not this run's business
    written_baseline = None
    if opts.write_baseline and icounts:
        missing = [k for k in instructions.KEYS if "median" not in icounts.get(k, {})]
        if missing:
            print("bench: cannot write the baseline without %s: %s" % (", ".join(missing), "; ".join(
                icounts[k].get("unavailable", "?") for k in missing)), file=sys.stderr)
            return 1
        written_baseline = instructions.write_baseline(icounts, report["git"])
    rows = build_rows(micro, http, nginx_rps, bootstrap, cold, icounts, baseline)
    if opts.quick or opts.write_baseline:
        rows = [r for r in rows if r["key"] not in ("cold_start", "bootstrap_zip")]

    report["machine"]["loadavg_end"] = loadavg()
    report["seconds"] = round(time.monotonic() - started, 1)
    report["rows"] = rows
    report["micro"] = micro
    report["http"] = http
    report["cold_start"] = cold
    report["instructions"] = icounts
    report["baseline"] = baseline
    report["written_baseline"] = written_baseline
    notes = []
    if http:
        for key in ("get", "post", "list_assets"):
            if key not in http:
                continue
            errs = {k: v for k, v in http[key]["errors"].items() if v}
            if errs:
                notes.append("wrk %s: %s (timeout = no answer within wrk's 2 s)" % (
                    key, ", ".join("%d %s error(s)" % (v, k) for k, v in errs.items())))
        if http["get_missing"]["errors"]["status"] != http["get_missing"]["requests"]:
            notes.append("GET of a missing id did not answer 404 every time")
        if http["data_dir_fs"] in ("tmpfs", "ramfs"):
            notes.append("the data dir is on %s: POST is not durable on a disk here" %
                         http["data_dir_fs"])
    report["notes"] = notes
    with open(os.path.join(opts.out, "results.json"), "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")

    print()
    b = report["build"]
    print("sbapi bench  %s  git %s  build %s %s LTO=%s  load avg %s → %s  (%.0f s)" % (
        report["time"], report["git"], b.get("CMAKE_BUILD_TYPE"),
        b.get("CMAKE_CXX_FLAGS_RELEASE"), b.get("CMAKE_INTERPROCEDURAL_OPTIMIZATION", "OFF"),
        report["machine"]["loadavg_start"], report["machine"]["loadavg_end"], report["seconds"]))
    if http:
        print("wrk %s; sbapi serve --threads %d; %d users preloaded%s" % (
            report["settings"]["wrk"], opts.server_threads, opts.users,
            "; %d assets of one owner for GET /assets" % opts.assets if opts.assets else ""))
    if micro:
        print("micro: median of %d, ns/op" % opts.repetitions)
    if icounts:
        print("instructions: callgrind, %d run(s) per count; GET mean of %d calls, POST of %d;"
              " baseline: %s" % (opts.instruction_runs, instructions.CALLS["get"],
                                 instructions.CALLS["post"],
                                 "%s (%s)" % (baseline.get("commit"), baseline.get("taken"))
                                 if baseline else "none"))
    print()
    print_table(rows)
    for n in notes:
        print("note: " + n)
    print()
    print("written: %s" % os.path.join(opts.out, "results.json"))
    if written_baseline:
        print("written: %s (commit it with the change that earns it)" % instructions.BASELINE)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_all()
