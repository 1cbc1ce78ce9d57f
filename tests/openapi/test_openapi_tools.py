"""openapi.yaml through third-party tools (issue 15), pinned in package.json (npm ci here).

- LintTest (ctest `openapi_lint`): `redocly lint` with redocly.yaml ends with 0 errors and
  0 warnings; the problems accepted on purpose are exactly those of .redocly.lint-ignore.yaml
  (a stale entry fails); and the configuration is the one in force (a copy of the document
  without one X-Request-Id header fails with response-contains-header).
- TypeScriptTest (ctest `openapi_typescript`): `openapi-typescript` turns the document into
  types (in the build tree), users_lifecycle.ts type-checks against them with `tsc` (strict,
  tsconfig.json), and fails against `any` types (its @ts-expect-error lines go unused).

Generated files go to $SBAPI_BUILD_DIR/openapi-tools (default: build/ of the repository).
Without node or the npm packages the tests are skipped with the reason (exit 77 when run as a
script, ctest's SKIP_RETURN_CODE), and fail under CI=true. Python 3 standard library + PyYAML.

By hand: python3 tests/openapi/test_openapi_tools.py [lint|typescript]   (README.md).
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DOCUMENT = os.path.join(REPO, "openapi.yaml")
BIN = os.path.join(HERE, "node_modules", ".bin")
CONFIG = os.path.join(HERE, "redocly.yaml")
IGNORE_FILE = os.path.join(HERE, ".redocly.lint-ignore.yaml")
TSCONFIG = os.path.join(HERE, "tsconfig.json")
BUILD_DIR = os.environ.get("SBAPI_BUILD_DIR") or os.path.join(REPO, "build")
OUT = os.path.join(os.path.abspath(BUILD_DIR), "openapi-tools")
TIMEOUT = 180
# No telemetry, no update check, no prompt: the tools must not need the network.
TOOL_ENV = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
                NO_UPDATE_NOTIFIER="1")
SKIP_RETURN_CODE = 77


def running_in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1")


def require_tools(*packages):
    """Skips (or, under CI=true, fails) without node or one of the npm packages; fails when an
    installed package is not the version package.json pins (run `npm ci` here)."""
    reason = None
    if shutil.which("node") is None:
        reason = "node is not on PATH"
    else:
        with open(os.path.join(HERE, "package.json"), encoding="utf-8") as f:
            pins = json.load(f)["dependencies"]
        for package in packages:
            manifest = os.path.join(HERE, "node_modules", package, "package.json")
            if not os.path.exists(manifest):
                reason = "%s is not installed in tests/openapi/node_modules" % package
                break
            with open(manifest, encoding="utf-8") as f:
                version = json.load(f)["version"]
            if version != pins[package]:
                raise AssertionError("%s %s is installed, package.json pins %s: run `npm ci` in "
                                     "tests/openapi" % (package, version, pins[package]))
    if reason is None:
        return
    reason += " (run `npm ci` in tests/openapi, or scripts/setup.sh)"
    if running_in_ci():
        raise AssertionError("CI=true and a tool is missing: " + reason)
    raise unittest.SkipTest(reason)


def run(args, cwd=OUT):
    started = time.monotonic()
    result = subprocess.run(args, cwd=cwd, env=TOOL_ENV, capture_output=True, text=True,
                            timeout=TIMEOUT)
    shown = " ".join(os.path.relpath(a, REPO) if a.startswith("/") else a for a in args)
    print("$ %s  (%.1f s, exit %d)" % (shown, time.monotonic() - started, result.returncode),
          file=sys.stderr)
    return result


def output(result):
    return (result.stdout + "\n" + result.stderr).strip()


def lint(document):
    """`redocly lint` of `document` with redocly.yaml (and so its ignore file), as JSON."""
    result = run([os.path.join(BIN, "redocly"), "lint", document, "--config", CONFIG,
                  "--format=json", "--max-problems=1000"])
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AssertionError("redocly lint printed no JSON report (exit %d):\n%s"
                             % (result.returncode, output(result)))
    return result, report


def describe(problems):
    lines = []
    for problem in problems:
        where = ", ".join(location.get("pointer", "?") for location in problem.get("location", []))
        lines.append("  %s %s: %s at %s" % (problem.get("severity"), problem.get("ruleId"),
                                            problem.get("message"), where))
    return "\n".join(lines)


class LintTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tools("@redocly/cli")
        os.makedirs(OUT, exist_ok=True)

    def test_no_errors_no_warnings(self):
        result, report = lint(DOCUMENT)
        totals = report["totals"]
        self.assertEqual((totals["errors"], totals["warnings"]), (0, 0),
                         "redocly lint openapi.yaml (tests/openapi/redocly.yaml): fix the "
                         "document, or accept a problem in .redocly.lint-ignore.yaml with the "
                         "reason:\n" + describe(report["problems"]))
        self.assertEqual(result.returncode, 0, output(result))

        import yaml
        with open(IGNORE_FILE, encoding="utf-8") as f:
            ignore = yaml.safe_load(f) or {}
        entries = sum(len(pointers) for rules in ignore.values() for pointers in rules.values())
        self.assertEqual(totals["ignored"], entries,
                         "%d entries in .redocly.lint-ignore.yaml but %d problems ignored: an "
                         "entry no longer matches a problem (delete it) or its path is wrong"
                         % (entries, totals["ignored"]))

    def test_configuration_is_in_force(self):
        # One rule that `recommended` leaves off: without redocly.yaml this would pass.
        import yaml
        with open(DOCUMENT, encoding="utf-8") as f:
            document = yaml.safe_load(f)
        response = document["paths"]["/users/{id}"]["get"]["responses"]["200"]
        del response["headers"]
        broken = os.path.join(OUT, "openapi-without-a-header.json")
        with open(broken, "w", encoding="utf-8") as f:
            json.dump(document, f)
        _, report = lint(broken)
        found = [p for p in report["problems"] if p.get("ruleId") == "response-contains-header"]
        self.assertTrue(found, "a 200 without X-Request-Id passed the lint:\n"
                        + describe(report["problems"]))
        self.assertIn("/paths/~1users~1{id}/get/responses/200",
                      found[0]["location"][0]["pointer"])


class TypeScriptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tools("openapi-typescript", "typescript")
        os.makedirs(OUT, exist_ok=True)

    def generate(self):
        target = os.path.join(OUT, "sbapi-openapi.d.ts")
        if os.path.exists(target):
            os.remove(target)
        # --default-non-nullable false: a property with a default (AssetCreate.contentType)
        # stays optional, as a client may leave it out. Run in OUT, so that no redocly.yaml is
        # picked up: the lint is LintTest's job.
        result = run([os.path.join(BIN, "openapi-typescript"), DOCUMENT, "--output", target,
                      "--default-non-nullable", "false"])
        self.assertEqual(result.returncode, 0, "openapi-typescript failed:\n" + output(result))
        with open(target, encoding="utf-8") as f:
            text = f.read()
        for declaration in ("export interface paths", "export interface components",
                            "export interface operations"):
            self.assertIn(declaration, text)
        return target

    def tsc(self, types, name):
        """tsc against `types`: a tsconfig in OUT that extends tests/openapi/tsconfig.json."""
        tsconfig = os.path.join(OUT, name)
        with open(tsconfig, "w", encoding="utf-8") as f:
            json.dump({"extends": TSCONFIG,
                       "compilerOptions": {"paths": {"sbapi-openapi": ["./" + types]}}}, f,
                      indent=2)
        return run([os.path.join(BIN, "tsc"), "-p", tsconfig, "--pretty", "false"])

    def test_users_lifecycle_type_checks(self):
        self.generate()
        result = self.tsc("sbapi-openapi.d.ts", "tsconfig.json")
        self.assertEqual(result.returncode, 0,
                         "users_lifecycle.ts does not type-check against the generated "
                         "types:\n" + output(result))

    def test_types_bite(self):
        # The same file against types that know nothing: every @ts-expect-error goes unused.
        with open(os.path.join(OUT, "sbapi-openapi-any.d.ts"), "w", encoding="utf-8") as f:
            f.write("export type paths = any;\nexport type components = any;\n")
        result = self.tsc("sbapi-openapi-any.d.ts", "tsconfig-any.json")
        self.assertNotEqual(result.returncode, 0, "users_lifecycle.ts type-checks against "
                            "`any`: its @ts-expect-error lines prove nothing")
        self.assertIn("error TS2578", output(result), "no @ts-expect-error line went unused "
                      "against `any` types:\n" + output(result))


def main(argv):
    """`test_openapi_tools.py [lint|typescript]`: exit 77 when everything was skipped."""
    cases = {"lint": [LintTest], "typescript": [TypeScriptTest]}
    selected = cases.get(argv[1], None) if len(argv) > 1 else [LintTest, TypeScriptTest]
    if selected is None:
        print("usage: %s [lint|typescript]" % argv[0], file=sys.stderr)
        return 2
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in selected)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    # A skip in setUpClass counts in `skipped` but not in `testsRun`: nothing passed.
    if result.skipped and result.testsRun - len(result.skipped) <= 0:
        return SKIP_RETURN_CODE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
