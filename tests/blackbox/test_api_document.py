"""GET /openapi.yaml: `sbapi serve` answers the repository's openapi.yaml, byte for byte (embedded
at build time), as application/yaml, without a token even when authentication is on; the
document parses and names every route `sbapi routes` lists. (tests/infrastructure/test_openapi.py
holds the document to the route table and the SAM template in detail.)

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_api_document
"""

import json
import os
import subprocess
import unittest

import yaml

from sbapi_server import SbapiServer, sbapi_bin

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class ApiDocumentTest(unittest.TestCase):
    def fetch(self, srv):
        status, headers, body = srv.request("GET", "/openapi.yaml")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-type"), "application/yaml")
        return body

    def test_served_document_is_the_repository_file(self):
        srv = SbapiServer()
        try:
            body = self.fetch(srv)
        finally:
            srv.stop()
        with open(os.path.join(ROOT, "openapi.yaml"), "rb") as f:
            self.assertEqual(body, f.read())
        doc = yaml.safe_load(body)
        self.assertEqual(doc["openapi"], "3.0.3")
        routes = json.loads(subprocess.run([sbapi_bin(), "routes", "--json"], check=True,
                                           capture_output=True).stdout)
        if isinstance(routes, dict):
            routes = routes.get("routes", [])
        for route in routes:
            self.assertIn(route["method"].lower(), doc["paths"].get(route["path"], {}),
                          "%s %s" % (route["method"], route["path"]))

    def test_public_with_authentication_on(self):
        srv = SbapiServer(extra_args=["--auth", "local"])
        try:
            self.fetch(srv)
            status, _, _ = srv.request("GET", "/users/u1")
            self.assertEqual(status, 401)  # the rest still needs a token
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
