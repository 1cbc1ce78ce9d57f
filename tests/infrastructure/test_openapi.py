"""Drift test: openapi.yaml against the route table and the SAM template.

Three descriptions of the API's routes must agree:
- the route table, as the binary has it (`sbapi routes --json`, from src/core/route_table.cc):
  every route's method, path, operation name, group, where it is served and whether it is public;
- the OpenAPI document (openapi.yaml at the repository root): one operation per route, its
  operationId the route's operation name, its first tag the route's group, `security: []`
  exactly on the public routes, the tag `serve-only` exactly on the routes `sbapi serve` alone
  serves;
- the SAM template (infrastructure/template.yaml): exactly the routes served everywhere, as
  API events, with the Cognito authorizer (AuthMode=cognito) exactly on those not public.

And the document itself: OpenAPI 3.0.3, every operation with a 2xx and a 500, 401 documented
exactly on the operations that need a token (with WWW-Authenticate), Retry-After on every API
503, X-Request-Id on every response, every $ref resolving, every path template's
parameters declared, and valid as far as `openapi-spec-validator` checks (offline) when it is
importable (else that one check is skipped with the reason). A key twice in one YAML mapping
fails the load (PyYAML would silently keep the last).

Python 3 standard library + PyYAML; the template is read with test_template's loader.
"""

import importlib.util
import json
import os
import re
import sys
import unittest

import test_template as template_lib

REPO = template_lib.REPO
# SBAPI_OPENAPI: another document to check (e.g. a deliberately broken copy).
DOCUMENT = os.environ.get("SBAPI_OPENAPI") or os.path.join(REPO, "openapi.yaml")
TEMPLATE = template_lib.TEMPLATE

OPENAPI_VERSION = "3.0.3"
SERVE_ONLY_TAG = "serve-only"
SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def show(routes):
    return ", ".join("%s %s" % route for route in sorted(routes)) or "(none)"


def load_document(path=DOCUMENT):
    """The document as plain data; a key twice in one mapping is an error (PyYAML would keep
    the last one silently, and another tool might read the first)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise AssertionError("%s: key %r twice in one mapping (line %d)"
                                     % (path, key, key_node.start_mark.line + 1))
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)


def operations(document):
    """{(METHOD, path): (operation, path item)} of every operation of the document."""
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            if method in item:
                found[(method.upper(), path)] = (item[method], item)
    return found


def effective_security(document, operation):
    return operation["security"] if "security" in operation else document.get("security")


def resolve(document, ref):
    """The value a local $ref names, or None when it names nothing."""
    if not ref.startswith("#/"):
        return None
    value = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def refs(value, where="#"):
    """(where, $ref) of every $ref in `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield where, item
            else:
                yield from refs(item, "%s/%s" % (where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from refs(item, "%s/%d" % (where, index))


def deref(document, value):
    while isinstance(value, dict) and "$ref" in value:
        value = resolve(document, value["$ref"])
    return value


def template_routes(template):
    """{(METHOD, path): function} of the template's API events."""
    routes = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "Api":
                props = event["Properties"]
                routes[(props["Method"].upper(), props["Path"])] = name
    return routes


class OpenApiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        template_lib.require_module("yaml", "python3-yaml; `make setup` installs it")
        cls.document = load_document()
        cls.operations = operations(cls.document)
        cls.table = {(r["method"], r["path"]): r for r in template_lib.route_table()["routes"]}
        # SBAPI_TEMPLATE: another template to check (e.g. a deliberately broken copy).
        cls.template = template_lib.load_template(os.environ.get("SBAPI_TEMPLATE") or TEMPLATE)
        cls.cognito = template_lib.deployed(cls.template, {"AuthMode": "cognito"})

    def no_problems(self, problems):
        if problems:
            self.fail("\n  " + "\n  ".join(problems))

    # --- the document against the route table ---------------------------------------------

    def test_routes_are_the_route_tables(self):
        in_document, in_table = set(self.operations), set(self.table)
        self.assertGreaterEqual(len(in_table), 10, "sbapi routes --json lists too few routes")
        problems = []
        if in_document - in_table:
            problems.append("in openapi.yaml but not in the route table (sbapi routes --json): "
                            + show(in_document - in_table))
        if in_table - in_document:
            problems.append("in the route table (sbapi routes --json) but not in openapi.yaml: "
                            + show(in_table - in_document))
        self.no_problems(problems)

    def test_operation_ids_are_the_route_tables(self):
        wrong = []
        for route, spec in sorted(self.table.items()):
            if route in self.operations:
                got = self.operations[route][0].get("operationId")
                if got != spec["operation"]:
                    wrong.append("%s %s: operationId %r in openapi.yaml, operation %r in the "
                                 "route table" % (route + (got, spec["operation"])))
        self.no_problems(wrong)
        ids = [op.get("operationId") for op, _ in self.operations.values()]
        self.assertEqual(sorted(i for i in set(ids) if ids.count(i) > 1), [],
                         "operationIds used more than once in openapi.yaml")

    def test_public_exactly_as_the_route_table(self):
        wrong = []
        for route, spec in sorted(self.table.items()):
            if route not in self.operations:
                continue
            security = effective_security(self.document, self.operations[route][0])
            public = security == []
            if public != spec["public"]:
                wrong.append("%s %s: %s in the route table, but openapi.yaml has security %s"
                             % (route + ("public" if spec["public"] else "not public (token)",
                                         json.dumps(security))))
        self.no_problems(wrong)

    def test_tags_are_the_groups(self):
        declared = [t["name"] for t in self.document.get("tags", [])]
        self.assertIn(SERVE_ONLY_TAG, declared, "openapi.yaml declares no tag %r" % SERVE_ONLY_TAG)
        serve_only = next(t for t in self.document["tags"] if t["name"] == SERVE_ONLY_TAG)
        self.assertIn("not on AWS", serve_only.get("description", ""),
                      "the %r tag's description must say they are not on AWS" % SERVE_ONLY_TAG)
        wrong = []
        for route, (operation, _) in sorted(self.operations.items()):
            tags = operation.get("tags") or []
            for tag in tags:
                if tag not in declared:
                    wrong.append("%s %s: tag %r is not declared in the top-level tags"
                                 % (route + (tag,)))
            spec = self.table.get(route)
            if spec is None:
                continue  # reported by test_routes_are_the_route_tables
            expected = [spec["group"]] + ([SERVE_ONLY_TAG] if spec["served"] == "serve" else [])
            if tags != expected:
                wrong.append("%s %s: tags %s in openapi.yaml, expected %s (group %r, served %r "
                             "in the route table)" % (route + (tags, expected, spec["group"],
                                                               spec["served"])))
        self.no_problems(wrong)

    # --- the document and the route table against the template ----------------------------

    def test_template_serves_exactly_the_routes_served_everywhere(self):
        deployed = set(template_routes(self.template))
        everywhere = {r for r, spec in self.table.items() if spec["served"] == "everywhere"}
        document_everywhere = {r for r, (op, _) in self.operations.items()
                               if SERVE_ONLY_TAG not in (op.get("tags") or [])}
        problems = []
        for name, routes in (("the route table (served everywhere)", everywhere),
                             ("openapi.yaml (operations not tagged %s)" % SERVE_ONLY_TAG,
                              document_everywhere)):
            if routes - deployed:
                problems.append("in %s but not in infrastructure/template.yaml: %s"
                                % (name, show(routes - deployed)))
            if deployed - routes:
                problems.append("in infrastructure/template.yaml but not in %s: %s"
                                % (name, show(deployed - routes)))
        self.no_problems(problems)

    def test_serve_only_routes(self):
        deployed = template_routes(self.template)
        problems = []
        for route, spec in sorted(self.table.items()):
            if spec["served"] != "serve":
                continue
            if route not in self.operations:
                problems.append("%s %s: served by sbapi serve only, missing from openapi.yaml"
                                % route)
            elif SERVE_ONLY_TAG not in (self.operations[route][0].get("tags") or []):
                problems.append("%s %s: served by sbapi serve only, not tagged %s in openapi.yaml"
                                % (route + (SERVE_ONLY_TAG,)))
            if route in deployed:
                problems.append("%s %s: served by sbapi serve only, yet an API event of %s in "
                                "infrastructure/template.yaml" % (route + (deployed[route],)))
        for route, (operation, _) in sorted(self.operations.items()):
            spec = self.table.get(route)
            if SERVE_ONLY_TAG in (operation.get("tags") or []) and spec is not None \
                    and spec["served"] != "serve":
                problems.append("%s %s: tagged %s in openapi.yaml but served %r in the route "
                                "table" % (route + (SERVE_ONLY_TAG, spec["served"])))
        self.no_problems(problems)

    def test_authorizer_exactly_where_the_document_needs_a_token(self):
        definition = self.cognito["Resources"]["Api"]["Properties"]["DefinitionBody"]
        guarded = set(template_lib.method_security(definition))
        deployed = set(template_routes(self.template))
        problems = []
        for route in sorted(deployed):
            if route not in self.operations:
                continue  # reported by the route checks
            public = effective_security(self.document, self.operations[route][0]) == []
            if public and route in guarded:
                problems.append("%s %s: public in openapi.yaml (security: []) but behind the "
                                "Cognito authorizer in infrastructure/template.yaml" % route)
            if not public and route not in guarded:
                problems.append("%s %s: needs a token in openapi.yaml but has no authorizer in "
                                "infrastructure/template.yaml (AuthMode=cognito)" % route)
            spec = self.table.get(route)
            if spec is not None and spec["public"] == (route in guarded):
                problems.append("%s %s: %s in the route table but %s in "
                                "infrastructure/template.yaml" % (route + (
                                    "public" if spec["public"] else "not public",
                                    "behind the authorizer" if route in guarded
                                    else "without an authorizer")))
        self.no_problems(problems)

    # --- the document on its own -------------------------------------------------------------

    def test_openapi_version(self):
        self.assertEqual(self.document.get("openapi"), OPENAPI_VERSION,
                         "openapi.yaml must be OpenAPI %s (the version API Gateway imports)"
                         % OPENAPI_VERSION)

    def test_bearer_security_scheme(self):
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        bearer = [name for name, scheme in schemes.items()
                  if {k: scheme.get(k) for k in SECURITY_SCHEME} == SECURITY_SCHEME]
        self.assertEqual(len(bearer), 1, "openapi.yaml needs one security scheme %s, has %s"
                         % (SECURITY_SCHEME, schemes))
        wrong = []
        for route, (operation, _) in sorted(self.operations.items()):
            security = effective_security(self.document, operation)
            if security is None:
                wrong.append("%s %s: no security (neither the operation's nor the document's)"
                             % route)
            elif security != [] and security != [{bearer[0]: []}]:
                wrong.append("%s %s: security %s, expected [] or [{%s: []}]"
                             % (route + (json.dumps(security), bearer[0])))
        self.no_problems(wrong)

    def test_every_operation_answers_2xx_and_documents_500(self):
        wrong = []
        for route, (operation, _) in sorted(self.operations.items()):
            statuses = [str(s) for s in (operation.get("responses") or {})]
            if not any(re.fullmatch(r"2\d\d", s) for s in statuses):
                wrong.append("%s %s: no 2xx response (has %s)" % (route + (statuses,)))
            if "500" not in statuses:
                wrong.append("%s %s: 500 not documented (has %s)" % (route + (statuses,)))
        self.no_problems(wrong)

    def test_401_where_a_token_is_needed_and_response_headers(self):
        wrong = []
        for route, (operation, _) in sorted(self.operations.items()):
            public = effective_security(self.document, operation) == []
            responses = operation.get("responses") or {}
            if not public and "401" not in responses:
                wrong.append("%s %s: needs a token but documents no 401" % route)
            if public and "401" in responses:
                wrong.append("%s %s: public but documents a 401" % route)
            if "401" in responses:
                headers = deref(self.document, responses["401"]).get("headers") or {}
                if "WWW-Authenticate" not in headers:
                    wrong.append("%s %s: its 401 has no WWW-Authenticate header" % route)
            if "503" in responses and not route[1].startswith("/{bucket}"):
                headers = deref(self.document, responses["503"]).get("headers") or {}
                if "Retry-After" not in headers:
                    wrong.append("%s %s: its 503 has no Retry-After header" % route)
            for status, response in responses.items():
                headers = deref(self.document, response).get("headers") or {}
                if "X-Request-Id" not in headers:
                    wrong.append("%s %s: response %s has no X-Request-Id header"
                                 % (route + (status,)))
        self.no_problems(wrong)

    def test_every_ref_resolves(self):
        dangling = ["%s: %s" % (where, ref) for where, ref in refs(self.document)
                    if resolve(self.document, ref) is None]
        self.no_problems(["$ref resolving to nothing: " + d for d in dangling])

    def test_path_parameters_are_declared(self):
        wrong = []
        for route, (operation, item) in sorted(self.operations.items()):
            declared = set()
            for parameter in (item.get("parameters") or []) + (operation.get("parameters") or []):
                parameter = deref(self.document, parameter) or {}
                if parameter.get("in") == "path":
                    declared.add(parameter.get("name"))
            templated = set(re.findall(r"\{([^}]+)\}", route[1]))
            if declared != templated:
                wrong.append("%s %s: path parameters declared %s, in the path %s"
                             % (route + (sorted(declared), sorted(templated))))
        self.no_problems(wrong)

    def test_openapi_spec_validator(self):
        if importlib.util.find_spec("openapi_spec_validator") is None:
            reason = ("python module openapi_spec_validator is missing: the document's structure "
                      "is not validated against the OpenAPI 3.0 schema")
            print("\nSKIP: " + reason, file=sys.stderr)
            self.skipTest(reason)
        from openapi_spec_validator import validate
        try:
            from openapi_spec_validator import OpenAPIV30SpecValidator as validator
        except ImportError:  # older releases
            validator = None
        try:
            if validator is not None:
                validate(self.document, cls=validator)
            else:
                validate(self.document)
        except Exception as error:  # the validator's own error types differ between releases
            message = str(error)
            if len(message) > 800:
                message = message[:800] + " ..."
            self.fail("openapi-spec-validator refuses %s: %s" % (DOCUMENT, message))


if __name__ == "__main__":
    unittest.main()
