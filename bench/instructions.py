"""Instruction counts for `make bench` / `make bench-quick`, with valgrind's callgrind.

Instructions executed (callgrind's `Ir`) do not depend on what else the machine is doing, so
unlike req/s or ms they compare across days: the same binary, inputs and environment give the
same count (run to run, the spread is a few instructions per million). Three figures:

  get         instructions per GET /users/{id} through Api::handle, steady state (item cache
              warm), mean over CALLS calls: bench/instruction_counts.cc (`sbapi_icount`);
  post        the same for POST /users (a durable SQLite write each);
  cold_start  the packaged bootstrap (build/lambda/bootstrap.zip) from exec to its first posted
              response: one GET /users/{id} event from the package test's fake Runtime API, on
              moto (DynamoDB, signatures checked) — tests/package/test_package.py's machinery.
              callgrind counts from the loader's first instruction; the fake Runtime API stops the
              process (SIGTERM) as soon as it has read the response post, while the runtime
              waits for its answer, and callgrind writes the count as the process ends.

bench/baseline.json holds the counts of one commit; `compare` gives each count's change against
it, and `write_baseline` rewrites it (`make bench-baseline`). Python 3 standard library only.
"""

import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BASELINE = os.path.join(HERE, "baseline.json")
ZIP_PATH = os.path.join(ROOT, "build", "lambda", "bootstrap.zip")

# Calls averaged per in-process count (after the warm-up): enough that the set-up's last
# instructions are noise, few enough for a quick run (callgrind runs code ~50× slower).
CALLS = {"get": 2000, "post": 500, "get-metrics": 2000, "post-metrics": 500, "get-token": 2000,
         "list": 200}
TIMEOUT = 600  # s, one valgrind run
KEYS = ("get", "post", "cold_start")
LABELS = {
    "get": "instructions per GET /users/{id} (Api::handle, cache warm)",
    "post": "instructions per POST /users (Api::handle, durable write)",
    "cold_start": "instructions, cold start (packaged bootstrap, exec → first response)",
}
# Counted and shown, not in the baseline: the GET with a token (auth on), the listing.
EXTRA_KEYS = ("get_token", "list")
EXTRA_LABELS = {
    "get_token": "instructions per GET /users/{id} with a valid token (auth on, cache hit)",
    "list": "instructions per GET /assets?limit=25 (auth on, owner's page of 1,000)",
}
# The same requests with `sbapi serve`'s metrics on (issue 16: at most 3 % more instructions).
METRICS_KEYS = {"get_metrics": "get", "post_metrics": "post"}
METRICS_GOAL_PCT = 3.0


class Unavailable(Exception):
    """A count that cannot be taken here (no valgrind, no package, no moto): the reason."""


def valgrind():
    path = shutil.which("valgrind")
    if path is None:
        raise Unavailable("valgrind not found: run `bash scripts/setup.sh --bench`")
    return path


def valgrind_version():
    try:
        return subprocess.run([valgrind(), "--version"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (Unavailable, OSError):
        return None


def callgrind_total(out_file):
    """The total Ir of a callgrind output file: its "totals:" line (the "summary:" line at the
    top says 0 when instrumentation started late)."""
    with open(out_file, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"totals:\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError("no totals line in %s" % out_file)


def ram_dir(tmp_parent, prefix):
    """A fresh directory in /dev/shm when there is one (an fsync is free there; instruction
    counts do not see the disk), else under tmp_parent."""
    parent = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tmp_parent
    return tempfile.mkdtemp(prefix=prefix, dir=parent)


# ---- in-process: GET and POST through Api::handle -----------------------------------------

def count_in_process(icount_bin, what, tmp_parent, calls=None):
    """Instructions per call of `sbapi_icount what` under callgrind."""
    calls = calls or CALLS[what]
    data_dir = ram_dir(tmp_parent, "sbapi-icount-")
    out_file = os.path.join(tmp_parent, "callgrind.%s.%s" % (what, uuid.uuid4().hex[:8]))
    cmd = [valgrind(), "--tool=callgrind", "--instr-atstart=no",
           "--callgrind-out-file=" + out_file, icount_bin, what, data_dir, str(calls)]
    try:
        run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=TIMEOUT)
        if run.returncode != 0:
            raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd), run.returncode,
                                                           run.stderr.strip()[-1500:]))
        total = callgrind_total(out_file)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if os.path.exists(out_file):
            os.remove(out_file)
    return {"per_call": total / calls, "total": total, "calls": calls}


# ---- the packaged bootstrap's cold start --------------------------------------------------

def _package_test():
    """tests/package/test_package.py as a module (its fake Runtime API, events, moto set-up)."""
    for path in (os.path.join(ROOT, "tests", "package"), os.path.join(ROOT, "tests", "blackbox")):
        if path not in sys.path:
            sys.path.insert(0, path)
    import test_package  # noqa: E402  pylint: disable=import-outside-toplevel
    return test_package


class ColdStart:
    """moto with the tables and one user, the bootstrap unpacked from the zip: `count()` runs it
    once under callgrind. Use as a context manager (it stops moto)."""

    def __init__(self, zip_path, sbapi_bin, tmp_parent):
        if not os.path.isfile(zip_path):
            raise Unavailable("packaged bootstrap not built yet: run `make package`")
        self.pkg = _package_test()
        unavailable = self.pkg.Moto.unavailable()
        if unavailable:
            raise Unavailable(unavailable)
        self.tmp = tempfile.mkdtemp(prefix="sbapi-cold-", dir=tmp_parent)
        self.bootstrap = os.path.join(self.tmp, "bootstrap")
        with zipfile.ZipFile(zip_path) as archive, open(self.bootstrap, "wb") as out:
            out.write(archive.read("bootstrap"))
        os.chmod(self.bootstrap, 0o755)
        self.moto, aws_env = self.pkg.moto_with_tables(sbapi_bin)
        self.env = self.pkg.lambda_env(aws_env, "users")
        self.user = "cold-" + uuid.uuid4().hex[:6]
        try:
            status = self._run(self.pkg.api_v1_event(
                "POST", "/users", {"userId": self.user, "email": "cold@example.com"}))
            if status != 201:
                raise RuntimeError("creating the cold-start user answered %s" % status)
        except BaseException:
            self.close()
            raise

    def _run(self, event, under_callgrind=None):
        """One bootstrap process for one event. Natively: returns the response's status code.
        Under callgrind (`under_callgrind` = output file): stops it at its response post and
        returns the total Ir."""
        api = self.pkg.FakeRuntimeApi()
        env = dict(self.env, AWS_LAMBDA_RUNTIME_API=api.address)
        cmd = [self.bootstrap]
        if under_callgrind:
            cmd = [valgrind(), "--tool=callgrind", "--callgrind-out-file=" + under_callgrind] + cmd
        log = tempfile.TemporaryFile(dir=self.tmp)
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        posted = threading.Event()
        answer = {}

        def on_post(kind, record):
            answer["kind"], answer["record"] = kind, record
            if under_callgrind:
                # The runtime has sent its response and waits for the 202: end it there.
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=TIMEOUT)
            posted.set()

        api.on_post = on_post
        try:
            api.events.put((str(uuid.uuid4()), json.dumps(event).encode("utf-8")))
            if not posted.wait(TIMEOUT) or answer["kind"] != "response":
                log.seek(0)
                raise RuntimeError("the bootstrap did not post a response (%s); output:\n%s" % (
                    answer.get("kind"), log.read().decode("utf-8", "replace")[-2000:]))
            if under_callgrind:
                return callgrind_total(under_callgrind)
            api.events.put(self.pkg.FakeRuntimeApi.STOP)
            proc.wait(timeout=60)
            return json.loads(answer["record"]["body"])["statusCode"]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            api.close()
            log.close()

    def count(self):
        out_file = os.path.join(self.tmp, "callgrind.cold." + uuid.uuid4().hex[:8])
        try:
            total = self._run(self.pkg.api_v1_event("GET", "/users/" + self.user), out_file)
        finally:
            if os.path.exists(out_file):
                os.remove(out_file)
        return {"per_call": total, "total": total, "calls": 1}

    def close(self):
        self.moto.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- all three, several runs ----------------------------------------------------------------

def measure(build_dir, tmp_parent, runs=1, log=print, zip_path=ZIP_PATH):
    """{key: {"runs": [per-call counts], "median": n, "spread_pct": max-min over median} or
    {"unavailable": reason}} for get, post and cold_start."""
    out = {}
    icount = os.path.join(build_dir, "sbapi_icount")
    for what in ("get", "post", "get-metrics", "post-metrics", "get-token", "list"):
        key = what.replace("-", "_")
        try:
            counts = []
            for _ in range(runs):
                counts.append(count_in_process(icount, what, tmp_parent)["per_call"])
                log("  %s: %s instructions per call" % (what, "{:,.0f}".format(counts[-1])))
            out[key] = summarize(counts)
        except Unavailable as e:
            out[key] = {"unavailable": str(e)}
        except RuntimeError as e:
            if key not in EXTRA_KEYS:
                raise
            out[key] = {"unavailable": "this sbapi_icount has no %s mode" % what}
            log("  %s: %s" % (what, e))
    try:
        sbapi = os.path.join(ROOT, "build", "sbapi")
        if not os.access(sbapi, os.X_OK):
            sbapi = os.path.join(build_dir, "sbapi")
        with ColdStart(zip_path, sbapi, tmp_parent) as cold:
            counts = []
            for _ in range(runs):
                counts.append(cold.count()["per_call"])
                log("  cold start: %s instructions" % "{:,.0f}".format(counts[-1]))
            out["cold_start"] = summarize(counts)
    except Unavailable as e:
        out["cold_start"] = {"unavailable": str(e)}
    return out


def summarize(counts):
    med = statistics.median(counts)
    return {"runs": counts, "median": med,
            "spread_pct": (max(counts) - min(counts)) / med * 100 if med else 0.0}


# ---- the baseline ---------------------------------------------------------------------------

def load_baseline(path=BASELINE):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def compare(counts, baseline):
    """{key: change in % against the baseline} for each count both have."""
    changes = {}
    base = (baseline or {}).get("instructions", {})
    for key in KEYS + EXTRA_KEYS:
        now = counts.get(key, {}).get("median")
        then = base.get(key)
        if now is not None and then:
            changes[key] = (now - then) / then * 100
    return changes


def write_baseline(counts, commit, path=BASELINE):
    data = {
        "about": "Instruction counts (valgrind callgrind, Ir) that `make bench` compares against;"
                 " rewritten only by `make bench-baseline`, committed with the change that earns"
                 " it. See bench/README.md.",
        "commit": commit,
        "taken": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "valgrind": valgrind_version(),
        "calls": CALLS,
        "instructions": {k: round(v["median"]) for k, v in counts.items() if "median" in v},
        "spread_pct": {k: round(v["spread_pct"], 4) for k, v in counts.items() if "median" in v},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    return data
