"""The aws backend's command-line surface, without any peer: configuration errors, help, and
what `serve --backend aws` does when its endpoints are unreachable.

  - `serve --backend aws` (or SBAPI_BACKEND=aws) with a setting missing → exit 1, one stderr
    line naming it; an unknown backend → usage error (exit 2);
  - `create-tables --help`; `create-tables` with a setting missing → exit 1 naming it; with an
    unreachable endpoint → exit 1 saying which table failed;
  - `presign --backend aws`: virtual-hosted URL on AWS, path-style on a custom endpoint;
  - `serve --backend aws` on an unreachable DynamoDB → it starts (nothing is contacted at start),
    and a request gets 503 {"error":"Service temporarily unavailable"} with Retry-After, and
    no endpoint or AWS text leaks into the response.

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_aws_cli
"""

import os
import subprocess
import tempfile
import unittest
import urllib.parse

from s3_helpers import query_params
from sbapi_server import SbapiServer, free_port, sbapi_bin

COMPLETE = {
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "cli-test-secret",
    "USERS_TABLE_NAME": "users-t",
    "ASSETS_TABLE_NAME": "assets-t",
    "ASSETS_BUCKET_NAME": "assets-b",
}


def run(args, env, timeout=60):
    """sbapi <args> with exactly the AWS_*/table/bucket variables of `env` -> (code, out, err)."""
    proc_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "SBAPI_BACKEND")) and k not in COMPLETE}
    proc_env.update(env)
    # In a directory of its own: whatever a start writes (./.data) never lands in the source tree.
    with tempfile.TemporaryDirectory(prefix="sbapi-aws-cli-") as cwd:
        proc = subprocess.run([sbapi_bin()] + list(args), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=proc_env,
                              timeout=timeout, cwd=cwd)
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"))


def without(name):
    env = dict(COMPLETE)
    del env[name]
    return env


MISSING = [
    ("AWS_REGION", "AWS_REGION (or AWS_DEFAULT_REGION) is not set"),
    ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID is not set"),
    ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY is not set"),
    ("USERS_TABLE_NAME", "USERS_TABLE_NAME is not set"),
    ("ASSETS_TABLE_NAME", "ASSETS_TABLE_NAME is not set"),
    ("ASSETS_BUCKET_NAME", "ASSETS_BUCKET_NAME is not set"),
]


class ServeConfigurationTest(unittest.TestCase):

    def test_missing_setting_is_a_start_up_error_naming_it(self):
        for name, message in MISSING:
            with self.subTest(missing=name):
                code, out, err = run(["serve", "--backend", "aws", "--port", "0"], without(name))
                self.assertEqual(code, 1, err)
                self.assertIn(message, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertNotIn("listening", out)

    def test_backend_from_environment(self):
        env = without("AWS_REGION")
        env["SBAPI_BACKEND"] = "aws"
        code, _out, err = run(["serve", "--port", "0"], env)
        self.assertEqual(code, 1, err)
        self.assertIn("AWS_REGION (or AWS_DEFAULT_REGION) is not set", err)

    def test_bad_endpoint_is_named(self):
        env = dict(COMPLETE, AWS_ENDPOINT_URL_DYNAMODB="localhost:8000")
        code, _out, err = run(["serve", "--backend", "aws", "--port", "0"], env)
        self.assertEqual(code, 1, err)
        self.assertIn("AWS_ENDPOINT_URL_DYNAMODB must look like http(s)://host[:port]", err)
        self.assertNotIn("cli-test-secret", err)

    def test_unknown_backend_is_a_usage_error(self):
        code, _out, err = run(["serve", "--backend", "s3", "--port", "0"], COMPLETE)
        self.assertEqual(code, 2, err)
        self.assertIn("--backend", err)

    def test_serve_help_lists_backend(self):
        code, out, _err = run(["serve", "--help"], {})
        self.assertEqual(code, 0)
        self.assertIn("--backend", out)
        self.assertIn("SBAPI_BACKEND", out)


class CreateTablesCommandTest(unittest.TestCase):

    def test_help(self):
        code, out, _err = run(["create-tables", "--help"], {})
        self.assertEqual(code, 0)
        for word in ("USERS_TABLE_NAME", "ASSETS_BUCKET_NAME", "AWS_ENDPOINT_URL_DYNAMODB",
                     "--no-bucket", "safe to run twice"):
            self.assertIn(word, out)
        code, out, _err = run(["--help"], {})
        self.assertIn("create-tables", out)

    def test_missing_setting_names_it(self):
        for name, message in MISSING:
            with self.subTest(missing=name):
                code, out, err = run(["create-tables"], without(name))
                self.assertEqual(code, 1, err)
                self.assertIn(message, err)
                self.assertEqual(out, "")

    def test_no_bucket_needs_no_bucket_name_and_unreachable_endpoint_fails_clearly(self):
        port = free_port()  # nothing listens there
        env = without("ASSETS_BUCKET_NAME")
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:%d" % port
        code, out, err = run(["create-tables", "--no-bucket"], env)
        self.assertEqual(code, 1, err)
        self.assertNotIn("ASSETS_BUCKET_NAME", err)
        self.assertIn("table users-t", err)
        self.assertEqual(out, "")


class PresignAwsTest(unittest.TestCase):

    def test_virtual_hosted_on_aws(self):
        code, out, err = run(["presign", "--backend", "aws", "--method", "PUT", "--key",
                              "assets/a1/x y.pdf", "--content-type", "application/pdf"], COMPLETE)
        self.assertEqual(code, 0, err)
        url = out.strip()
        parts = urllib.parse.urlsplit(url)
        self.assertEqual(parts.scheme, "https")
        self.assertEqual(parts.netloc, "assets-b.s3.eu-west-1.amazonaws.com")
        self.assertEqual(parts.path, "/assets/a1/x%20y.pdf")
        params = dict(query_params(url))
        self.assertEqual(params["X-Amz-SignedHeaders"], "content-type;host")
        self.assertTrue(params["X-Amz-Credential"].startswith("AKIDEXAMPLE/"))
        self.assertNotIn("X-Amz-Security-Token", params)

    def test_path_style_on_custom_endpoint_with_session_token(self):
        env = dict(COMPLETE, AWS_ENDPOINT_URL_S3="http://127.0.0.1:9000",
                   AWS_SESSION_TOKEN="tok/en+=")
        code, out, err = run(["presign", "--backend", "aws", "--key", "assets/a1/f.bin"], env)
        self.assertEqual(code, 0, err)
        url = out.strip()
        self.assertTrue(url.startswith("http://127.0.0.1:9000/assets-b/assets/a1/f.bin?"), url)
        params = dict(query_params(url))
        self.assertEqual(params["X-Amz-Security-Token"], "tok/en+=")
        self.assertEqual(params["X-Amz-SignedHeaders"], "host")

    def test_missing_bucket_is_named(self):
        code, _out, err = run(["presign", "--backend", "aws", "--key", "k"],
                              without("ASSETS_BUCKET_NAME"))
        self.assertEqual(code, 2, err)
        self.assertIn("ASSETS_BUCKET_NAME is not set", err)


class UnreachableDynamoDbTest(unittest.TestCase):

    def test_requests_get_503_with_retry_after_and_no_details(self):
        port = free_port()
        env = dict(COMPLETE, AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:%d" % port)
        srv = SbapiServer(extra_args=["--backend", "aws"], env=env)
        try:
            for method, path, body in (("GET", "/users/u1", None),
                                       ("POST", "/users", {"userId": "u1", "email": "a@b.co"}),
                                       ("GET", "/assets/a1", None)):
                with self.subTest(method=method, path=path):
                    status, headers, got = srv.request(method, path, body)
                    self.assertEqual(status, 503, got)
                    self.assertEqual(got, {"error": "Service temporarily unavailable"})
                    self.assertTrue(headers.get("retry-after"), headers)
            # Health does not touch storage.
            self.assertEqual(srv.request("GET", "/health")[0], 200)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr_text())
        self.assertNotIn("cli-test-secret", "\n".join(srv.raw_logs()) + srv.stderr_text())


if __name__ == "__main__":
    unittest.main()
