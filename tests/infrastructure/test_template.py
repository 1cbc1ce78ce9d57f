"""Template test: infrastructure/template.yaml (SAM) against the code it deploys.

- The YAML parses with CloudFormation's short tags (!Ref, !Sub, !GetAtt, !If, !Select...).
- Every route of the route table served everywhere (`sbapi routes --json`, from
  src/core/route_table.cc) is an API event of exactly one function, exactly once, on the v1
  stage of the one API; no other routes. The API's CORS methods are the table's.
- Each function runs the one package (provided.al2023, x86_64, handler bootstrap,
  build/lambda/bootstrap.zip) with its SBAPI_FUNCTION, and its policies and environment name
  only its own table / bucket / the page-token secret, with no wildcard action or resource.
  Listings: the users and assets functions may `dynamodb:Query` exactly their own table's
  indexes (each index ARN named, no `index/*`, never the table itself), no function may Scan;
  they (and only they) get SBAPI_PAGE_TOKEN_SECRET_ARN and `secretsmanager:GetSecretValue` on
  exactly the template's generated secret. GET /users and GET /assets are deployed, on their
  functions, behind the authorizer.
- Tables: on-demand, TTL on `ttl`, the key and GSIs of src/core/schemas.h / schemas.cc as the
  DynamoDB adapter keys them (partition attribute, its folded copy, or the constant `gsiAll`;
  sort key `gsiOrder`), nothing else in AttributeDefinitions. Bucket: public access blocked,
  30-day expiration, ObjectCreated under assets/ -> the upload function.
- Log groups with retention per function; alarms on 5XXError (Sum, > 10 per 60 s) and Latency
  (p90 > 1000 ms); the outputs.
- Authentication, for both values of the AuthMode parameter (the template's Conditions are
  evaluated here, Fn::If resolved and AWS::NoValue dropped, as CloudFormation does): with
  `cognito` the Cognito authorizer guards exactly the protected routes (served everywhere and
  not `public` in `sbapi routes --json`), without scopes (ID tokens), and OPTIONS and
  GET /health have none; with `none` there is no authorizer, no user pool and no output of
  one. The user pool, admin group and public app client; every function's SBAPI_AUTH
  (gateway | none) and claim settings; API Gateway's own answers (GatewayResponses) shaped as
  sbapi's: status, `{"error": ...}` JSON, CORS headers, the Bearer challenge on 401, checked
  against docs/api.md. In each mode nothing refers to a resource that mode does not create.
- With cfn-lint and aws-sam-translator importable: cfn-lint finds nothing (it also catches
  circular dependencies); in the SAM-translated template the roles name only their own
  resources, the API definition has exactly the router's routes (+ CORS preflights), each with
  its function's integration, and the bucket notifies the upload function; and, translated
  with each AuthMode, the same authentication checks hold on the generated API definition.

Python 3 standard library + PyYAML (python3-yaml, installed by scripts/setup.sh). Without
PyYAML the test is skipped with the reason (under CI=true: a failure); without cfn-lint /
aws-sam-translator only those checks are skipped.
"""

import copy
import functools
import json
import importlib.util
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TEMPLATE = os.path.join(REPO, "infrastructure", "template.yaml")
SAMCONFIG = os.path.join(REPO, "samconfig.toml")
PACKAGE = "build/lambda/bootstrap.zip"
SBAPI = os.environ.get("SBAPI_BIN") or os.path.join(REPO, "build", "sbapi")

# SPEC section 1, "Everywhere".
CORS_METHODS = "GET,POST,PUT,DELETE,OPTIONS"
CORS_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"

# docs/api.md, "Authentication" (and what every sbapi response exposes to browsers).
EXPOSE_HEADERS = "X-Request-Id, WWW-Authenticate"
CHALLENGE = 'Bearer realm="sbapi"'
AUTHENTICATION_REQUIRED = "Authentication required: send Authorization: Bearer <token>"
API_DOC = os.path.join(REPO, "docs", "api.md")

# AuthMode -> SBAPI_AUTH of every function (src/lambda/runtime.h).
AUTH_MODES = {"cognito": "gateway", "none": "none"}
AUTHORIZER = "CognitoAuthorizer"
COGNITO_TYPES = ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient",
                 "AWS::Cognito::UserPoolGroup")

# Which function serves which routes, by the first path segment; and what each may touch.
FUNCTIONS = {
    "users": {"prefixes": ("/users", "/health"),
              "resources": {"UsersTable", "PageTokenSecret"}, "table": "UsersTable"},
    "assets": {"prefixes": ("/assets",),
               "resources": {"AssetsTable", "AssetsBucket", "PageTokenSecret"},
               "table": "AssetsTable"},
    "uploads": {"prefixes": (), "resources": {"AssetsTable", "AssetsBucket"},
                "table": "AssetsTable"},
}
# The functions that list (and so sign page tokens), and the secret they sign them with.
LISTING_ROLES = ("users", "assets")
SECRET = "PageTokenSecret"
TABLE_KEYS = {"UsersTable": "userId", "AssetsTable": "assetId"}

# How the DynamoDB adapter keys an index of src/core/schemas.cc (issue 14): the partition
# attribute as it is, or `<attribute>Lower` (its ASCII-lower-cased copy) when the index folds
# case, or `gsiAll` (one constant value) for an index of every item; always the sort key
# `gsiOrder`, a string (created time and key). All strings.
SORT_KEY = "gsiOrder"
ALL_PARTITION = "gsiAll"
# What schema_indexes() must find: a parse that finds less fails rather than passing vacuously.
EXPECTED_INDEXES = {
    "userId": {"email-created-index": "emailLower", "all-created-index": "gsiAll"},
    "assetId": {"owner-created-index": "ownerId", "status-created-index": "status",
                "all-created-index": "gsiAll"},
}


def running_in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1")


def require_module(name, why):
    if importlib.util.find_spec(name) is None:
        message = "python module %s is missing (%s)" % (name, why)
        if running_in_ci():
            raise AssertionError("CI=true: " + message)
        raise unittest.SkipTest(message)


# --- loading ---------------------------------------------------------------------------------

def load_template(path=TEMPLATE):
    """The template as plain data, short tags turned into their long forms."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader, suffix, node):
        name = "Ref" if suffix == "Ref" else "Fn::" + suffix
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", construct)
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)


@functools.lru_cache(maxsize=None)
def route_table():
    """`sbapi routes --json`: the route table as the binary has it."""
    if not os.access(SBAPI, os.X_OK):
        raise AssertionError("no sbapi binary at %s (SBAPI_BIN): build it first" % SBAPI)
    run = subprocess.run([SBAPI, "routes", "--json"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise AssertionError("sbapi routes --json failed: " + run.stderr)
    return json.loads(run.stdout)


def router_routes():
    """[(METHOD, path)] of every route served everywhere (API Gateway + Lambda)."""
    return [(r["method"], r["path"]) for r in route_table()["routes"]
            if r["served"] == "everywhere"]


def protected_routes():
    """[(METHOD, path)] of the routes served everywhere that need a token when auth is on."""
    return sorted((r["method"], r["path"]) for r in route_table()["routes"]
                  if r["served"] == "everywhere" and not r["public"])


def schema_indexes():
    """{table key: {index name: DynamoDB partition attribute}} from src/core/schemas.cc (the
    IndexSchema entries: name constant, partition attribute, fold_case) and the index names of
    src/core/schemas.h, keyed as the DynamoDB adapter keys them (SORT_KEY always)."""
    with open(os.path.join(REPO, "src", "core", "schemas.h"), encoding="utf-8") as f:
        names = dict(re.findall(r'constexpr std::string_view (k\w+) = "([\w-]+)";', f.read()))
    with open(os.path.join(REPO, "src", "core", "schemas.cc"), encoding="utf-8") as f:
        text = f.read()
    schemas = {}
    for key, body in re.findall(r'"(\w+)",\s*\{(.*?)\},\s*"ttl"', text, re.S):
        indexes = {}
        for constant, attribute, fold in re.findall(
                r'\{std::string\((k\w+)\),\s*"(\w*)",\s*(?:/\*\s*fold_case\s*=\s*\*/\s*)?'
                r'(true|false)\s*\}', body):
            if not attribute:
                partition = ALL_PARTITION
            elif fold == "true":
                partition = attribute + "Lower"
            else:
                partition = attribute
            indexes[names[constant]] = partition
        schemas[key] = indexes
    return schemas


def references(value, local=()):
    """Logical ids a template value refers to (Ref, GetAtt, ${X} and ${X.Attr} in Sub)."""
    found = set()
    if isinstance(value, dict):
        if "Ref" in value and len(value) == 1:
            if not str(value["Ref"]).startswith("AWS::") and value["Ref"] not in local:
                found.add(value["Ref"])
            return found
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
            return found
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            for name in re.findall(r"\$\{([^}!]+)\}", text):
                name = name.split(".")[0]
                if not name.startswith("AWS::") and name not in variables:
                    found.add(name)
            for v in variables.values():
                found |= references(v, local)
            return found
        for v in value.values():
            found |= references(v, local)
    elif isinstance(value, list):
        for v in value:
            found |= references(v, local)
    return found


def as_list(value):
    return value if isinstance(value, list) else [value]


# --- conditions: the template as CloudFormation deploys it for given parameter values --------

def evaluate_conditions(template, parameters):
    """{condition: bool} of the template's Conditions for these parameter values (else defaults)."""
    values = {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items()
              if "Default" in p}
    values.update(parameters)
    conditions = template.get("Conditions", {})
    results = {}

    def operand(value):
        if isinstance(value, dict) and set(value) == {"Ref"}:
            return values[value["Ref"]]
        if isinstance(value, (str, int, float, bool)):
            return str(value)
        raise AssertionError("condition operand not understood: %r" % (value,))

    def evaluate(expression):
        if isinstance(expression, dict) and len(expression) == 1:
            (function, args), = expression.items()
            if function == "Fn::Equals":
                return operand(args[0]) == operand(args[1])
            if function == "Fn::Not":
                return not evaluate(args[0])
            if function == "Fn::And":
                return all(evaluate(a) for a in args)
            if function == "Fn::Or":
                return any(evaluate(a) for a in args)
            if function == "Condition":
                return condition(args)
        raise AssertionError("condition not understood: %r" % (expression,))

    def condition(name):
        if name not in results:
            results[name] = evaluate(conditions[name])
        return results[name]

    for name in conditions:
        condition(name)
    return results


_NO_VALUE = object()


def resolve_conditions(value, conditions):
    """`value` with every Fn::If decided and AWS::NoValue dropped, as CloudFormation does."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            name, if_true, if_false = value["Fn::If"]
            return resolve_conditions(if_true if conditions[name] else if_false, conditions)
        if value == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        resolved = {}
        for key, item in value.items():
            item = resolve_conditions(item, conditions)
            if item is not _NO_VALUE:
                resolved[key] = item
        return resolved
    if isinstance(value, list):
        items = (resolve_conditions(item, conditions) for item in value)
        return [item for item in items if item is not _NO_VALUE]
    return value


def deployed(template, parameters):
    """The template for these parameter values: resources and outputs whose Condition is false
    left out, conditional values resolved."""
    conditions = evaluate_conditions(template, parameters)
    result = copy.deepcopy(template)
    for section in ("Resources", "Outputs"):
        kept = {}
        for name, entry in template.get(section, {}).items():
            if "Condition" in entry and not conditions[entry["Condition"]]:
                continue
            kept[name] = resolve_conditions(entry, conditions)
        result[section] = kept
    if "Globals" in template:
        result["Globals"] = resolve_conditions(template["Globals"], conditions)
    return result


def dangling_references(template):
    """(where, name) of every Ref/GetAtt/Sub naming neither a resource nor a parameter."""
    known = set(template.get("Resources", {})) | set(template.get("Parameters", {}))
    found = []
    for section in ("Resources", "Outputs"):
        for name, entry in template.get(section, {}).items():
            for target in references(entry) - known:
                found.append(("%s.%s" % (section, name), target))
    return found


def method_security(definition):
    """{(METHOD, path): security} of every method of an API definition that has `security`."""
    return {(method.upper(), path): operation["security"]
            for path, methods in definition.get("paths", {}).items()
            for method, operation in methods.items()
            if isinstance(operation, dict) and "security" in operation}


def render_gateway_template(text, message):
    """A gateway response body template as API Gateway fills it for an error `message`."""
    body = text.replace("$context.error.messageString", json.dumps(message))
    body = body.replace("$context.error.message", message)
    if "$" in body:
        raise AssertionError("unexpected variable in gateway response template %r" % text)
    return json.loads(body)


@functools.lru_cache(maxsize=None)
def translated_template(auth_mode=None):
    """The SAM-translated template (as `sam package` leaves it, then the AWS::Serverless
    transform with these parameter values), as JSON text; None without aws-sam-translator."""
    if importlib.util.find_spec("samtranslator") is None:
        return None
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self):
            return {}

    with open(TEMPLATE, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    template = copy.deepcopy(template)
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/bootstrap.zip"  # as sam package
    parameters = {} if auth_mode is None else {"AuthMode": auth_mode}
    return json.dumps(transform(template, parameters, NoManagedPolicies()))


class TemplateTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        require_module("yaml", "python3-yaml; `make setup` installs it")
        cls.template = load_template()
        cls.resources = cls.template["Resources"]
        cls.globals = cls.template.get("Globals", {}).get("Function", {})
        cls.functions = {name: r for name, r in cls.resources.items()
                         if r["Type"] == "AWS::Serverless::Function"}
        cls.bucket_name = cls.resources["AssetsBucket"]["Properties"]["BucketName"]

    def prop(self, function, name):
        """A function property, or its Globals default."""
        return self.functions[function]["Properties"].get(name, self.globals.get(name))

    def role_of(self, function):
        return self.prop(function, "Environment")["Variables"]["SBAPI_FUNCTION"]

    def test_parses_with_short_tags(self):
        self.assertEqual(self.template["Transform"], "AWS::Serverless-2016-10-31")
        with open(TEMPLATE, encoding="utf-8") as f:
            text = f.read()
        for tag in ("!Ref", "!Sub", "!GetAtt", "!If"):
            self.assertIn(tag, text)

    def test_every_router_route_exactly_once(self):
        routes = router_routes()
        self.assertGreaterEqual(len(routes), 8, "sbapi routes lists too few routes")
        self.assertEqual(len(routes), len(set(routes)), "the route table has a route twice")
        deployed = []
        for name, function in self.functions.items():
            for event in (function["Properties"].get("Events") or {}).values():
                if event["Type"] != "Api":
                    continue
                props = event["Properties"]
                self.assertEqual(props.get("RestApiId"), {"Ref": "Api"}, name)
                deployed.append((props["Method"].upper(), props["Path"], name))
        self.assertEqual(sorted((m, p) for m, p, _ in deployed), sorted(routes),
                         "the API's routes must be exactly the router's")
        for method, path, name in deployed:
            prefixes = FUNCTIONS[self.role_of(name)]["prefixes"]
            self.assertTrue(path.startswith(prefixes),
                            "%s %s is routed to %s (SBAPI_FUNCTION=%s)"
                            % (method, path, name, self.role_of(name)))

    def test_api_stage_and_cors(self):
        apis = [r for r in self.resources.values() if r["Type"] == "AWS::Serverless::Api"]
        self.assertEqual(len(apis), 1)
        props = apis[0]["Properties"]
        self.assertEqual(props["StageName"], "v1")
        cors = props["Cors"]
        self.assertEqual(cors["AllowOrigin"], "'*'")
        self.assertEqual(cors["AllowMethods"], "'%s'" % CORS_METHODS)
        self.assertEqual(CORS_METHODS, route_table()["corsAllowMethods"])
        self.assertEqual(cors["AllowHeaders"], "'%s'" % CORS_HEADERS)

    def test_functions_run_the_package(self):
        self.assertEqual(sorted(self.role_of(f) for f in self.functions), sorted(FUNCTIONS))
        for name in self.functions:
            self.assertEqual(self.prop(name, "Runtime"), "provided.al2023", name)
            self.assertEqual(self.prop(name, "Handler"), "bootstrap", name)
            self.assertEqual(self.prop(name, "Architectures"), ["x86_64"], name)
            code = self.prop(name, "CodeUri")
            self.assertEqual(os.path.normpath(os.path.join(os.path.dirname(TEMPLATE), code)),
                             os.path.join(REPO, PACKAGE), name)

    def test_least_privilege(self):
        for name in self.functions:
            role = self.role_of(name)
            allowed = FUNCTIONS[role]["resources"]
            policies = self.prop(name, "Policies") or []
            self.assertTrue(policies, name)
            for policy in as_list(policies):
                self.assertIsInstance(policy, dict, "%s: managed policy %r" % (name, policy))
                for statement in policy.get("Statement", []):
                    actions = as_list(statement["Action"])
                    for action in actions:
                        self.assertNotIn("*", action, "%s: wildcard action %s" % (name, action))
                    for resource in as_list(statement["Resource"]):
                        self.assertNotEqual(resource, "*", name)
                        named = references(resource)
                        if self.names_bucket(resource):
                            named.add("AssetsBucket")
                        self.assertTrue(named, "%s: resource %r names nothing" % (name, resource))
                        self.assertLessEqual(named, allowed, "%s: %r" % (name, resource))
                        if "AssetsBucket" in named:
                            self.assertIn("/assets/*", str(resource), name)
                    for action in actions:
                        self.assertNotEqual(action, "dynamodb:Scan",
                                            "%s: listings Query an index, never Scan" % name)
                for template_name, args in policy.items():
                    if template_name == "Statement":
                        continue
                    # A SAM policy template: its arguments name the resources.
                    self.assertLessEqual(references(args), allowed, "%s: %s" % (name, policy))
            env_refs = references(self.prop(name, "Environment"))
            self.assertLessEqual(env_refs, allowed, "%s: environment names %s" % (name, env_refs))
        uploads = self.function_with_role("uploads")
        actions = set()
        for policy in self.prop(uploads, "Policies"):
            for statement in policy.get("Statement", []):
                actions |= set(as_list(statement["Action"]))
            self.assertNotIn("DynamoDBCrudPolicy", policy, "uploads only reads and updates")
        self.assertEqual(actions, {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:GetObject"})
        for role in LISTING_ROLES:
            for policy in self.prop(self.function_with_role(role), "Policies"):
                # SAM's DynamoDBCrudPolicy would grant Scan and every index (index/*).
                self.assertEqual(list(policy), ["Statement"], "%s: %s" % (role, list(policy)))

    def statements(self, function):
        return [statement for policy in self.prop(function, "Policies") or []
                for statement in policy.get("Statement", [])]

    def index_arns(self, table):
        """The ARN of each index of `table`, in the template's !Sub form."""
        indexes = self.resources[table]["Properties"]["GlobalSecondaryIndexes"]
        return sorted("${%s.Arn}/index/%s" % (table, i["IndexName"]) for i in indexes)

    def test_query_permission_names_exactly_the_tables_indexes(self):
        for name in self.functions:
            role = self.role_of(name)
            queried = []
            for statement in self.statements(name):
                actions = as_list(statement["Action"])
                if "dynamodb:Query" not in actions:
                    continue
                self.assertEqual(statement["Effect"], "Allow")
                self.assertEqual(actions, ["dynamodb:Query"],
                                 "%s: Query in a statement of its own" % name)
                for resource in as_list(statement["Resource"]):
                    self.assertEqual(set(resource), {"Fn::Sub"}, "%s: %r" % (name, resource))
                    self.assertIsInstance(resource["Fn::Sub"], str, name)
                    queried.append(resource["Fn::Sub"])
            if role not in LISTING_ROLES:
                self.assertEqual(queried, [], "%s lists nothing" % name)
                continue
            table = FUNCTIONS[role]["table"]
            self.assertEqual(sorted(queried), self.index_arns(table),
                             "%s: Query on exactly each index of %s" % (name, table))
            for arn in queried:
                self.assertNotIn("*", arn, name)
            # The indexes are those of the schema (test_tables checks their keys).
            self.assertEqual(sorted(arn.rsplit("/", 1)[1] for arn in queried),
                             sorted(schema_indexes()[TABLE_KEYS[table]]), name)

    def test_secret_permission_is_exactly_the_secret(self):
        secret = self.resources[SECRET]
        self.assertEqual(secret["Type"], "AWS::SecretsManager::Secret")
        props = secret["Properties"]
        self.assertNotIn("SecretString", props, "the key is generated, never written down")
        generated = props["GenerateSecretString"]
        self.assertGreaterEqual(generated["PasswordLength"], 32)  # kMinPageTokenSecretBytes
        self.assertIs(generated["ExcludePunctuation"], True)
        self.assertNotIn("SecretStringTemplate", generated, "SecretString is the key itself")
        for name in self.functions:
            role = self.role_of(name)
            env = self.prop(name, "Environment")["Variables"]
            grants = [statement for statement in self.statements(name)
                      if any(a.startswith("secretsmanager:") for a in as_list(statement["Action"]))]
            if role not in LISTING_ROLES:
                self.assertNotIn("SBAPI_PAGE_TOKEN_SECRET_ARN", env, name)
                self.assertEqual(grants, [], name)
                continue
            self.assertEqual(env.get("SBAPI_PAGE_TOKEN_SECRET_ARN"), {"Ref": SECRET}, name)
            self.assertNotIn("SBAPI_PAGE_TOKEN_SECRET_FILE", env, name)
            self.assertEqual(len(grants), 1, name)
            self.assertEqual(grants[0]["Effect"], "Allow", name)
            self.assertEqual(as_list(grants[0]["Action"]), ["secretsmanager:GetSecretValue"], name)
            self.assertEqual(as_list(grants[0]["Resource"]), [{"Ref": SECRET}], name)

    def test_listing_routes_are_deployed_and_protected(self):
        definition = self.resources["Api"]["Properties"]["DefinitionBody"]
        for role, path in (("users", "/users"), ("assets", "/assets")):
            self.assertIn(("GET", path), router_routes(), "the route table lists GET " + path)
            self.assertIn(("GET", path), protected_routes(), "GET %s needs a token" % path)
            events = [e["Properties"] for e in
                      self.functions[self.function_with_role(role)]["Properties"]["Events"].values()
                      if e["Type"] == "Api"]
            self.assertIn(("get", path), [(e["Method"], e["Path"]) for e in events], role)
            security = definition["paths"][path]["get"]["security"]
            self.assertEqual(resolve_conditions(security, {"UseCognito": True}),
                             [{AUTHORIZER: []}], path)

    def names_bucket(self, resource):
        """True when an ARN spells the bucket's own name (the form that avoids the cycle)."""
        if not (isinstance(resource, dict) and "Fn::Sub" in resource):
            return False
        sub = resource["Fn::Sub"]
        if isinstance(sub, str):
            return False
        bucket = self.bucket_name["Fn::Sub"]
        prefix = bucket[0]
        return (sub[0].split(":::", 1)[-1].startswith(prefix + "/") and sub[1] == bucket[1])

    def function_with_role(self, role):
        names = [n for n in self.functions if self.role_of(n) == role]
        self.assertEqual(len(names), 1, role)
        return names[0]

    def test_tables(self):
        schemas = schema_indexes()
        self.assertEqual(schemas, EXPECTED_INDEXES,
                         "src/core/schemas.cc changed (or no longer parses): update the template's "
                         "tables, the functions' Query permissions, docs/deploy.md's migration "
                         "and EXPECTED_INDEXES")
        for logical, key in TABLE_KEYS.items():
            props = self.resources[logical]["Properties"]
            self.assertEqual(self.resources[logical]["Type"], "AWS::DynamoDB::Table")
            self.assertEqual(props["BillingMode"], "PAY_PER_REQUEST")
            self.assertEqual(props["KeySchema"], [{"AttributeName": key, "KeyType": "HASH"}])
            self.assertEqual(props["TimeToLiveSpecification"],
                             {"AttributeName": "ttl", "Enabled": True})
            types = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
            self.assertEqual(types.pop(key), "S")
            indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
            self.assertEqual(sorted(indexes), sorted(schemas[key]), logical)
            used = set()
            for index_name, partition in schemas[key].items():
                self.assertEqual(indexes[index_name]["KeySchema"],
                                 [{"AttributeName": partition, "KeyType": "HASH"},
                                  {"AttributeName": SORT_KEY, "KeyType": "RANGE"}], index_name)
                self.assertEqual(indexes[index_name]["Projection"], {"ProjectionType": "ALL"})
                used |= {partition, SORT_KEY}
            for attribute in used:
                self.assertEqual(types.pop(attribute), "S", "%s.%s" % (logical, attribute))
            self.assertEqual(types, {}, "attribute definitions no index uses")

    def test_bucket(self):
        bucket = self.resources["AssetsBucket"]["Properties"]
        self.assertEqual(bucket["PublicAccessBlockConfiguration"], {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True})
        rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]
        self.assertIn(30, [r.get("ExpirationInDays") for r in rules])
        self.assertNotIn("NotificationConfiguration", bucket,
                         "the notification comes from the upload function's S3 event")
        uploads = self.function_with_role("uploads")
        events = [e for e in self.functions[uploads]["Properties"]["Events"].values()]
        self.assertEqual(len(events), 1)
        event = events[0]
        self.assertEqual(event["Type"], "S3")
        self.assertEqual(event["Properties"]["Bucket"], {"Ref": "AssetsBucket"})
        self.assertIn(event["Properties"]["Events"], ("s3:ObjectCreated:*",
                                                      ["s3:ObjectCreated:*"]))
        self.assertEqual(event["Properties"]["Filter"]["S3Key"]["Rules"],
                         [{"Name": "prefix", "Value": "assets/"}])
        for name in self.functions:
            if name != uploads:
                for e in (self.functions[name]["Properties"].get("Events") or {}).values():
                    self.assertEqual(e["Type"], "Api", name)

    def test_log_groups(self):
        groups = {}
        for r in self.resources.values():
            if r["Type"] == "AWS::Logs::LogGroup":
                groups[frozenset(references(r["Properties"]["LogGroupName"]))] = r["Properties"]
        for name in self.functions:
            props = groups.get(frozenset({name}))
            self.assertIsNotNone(props, "no log group for " + name)
            self.assertEqual(props["LogGroupName"], {"Fn::Sub": "/aws/lambda/${%s}" % name})
            self.assertIn("RetentionInDays", props)
        self.assertEqual(self.template["Parameters"]["LogRetentionDays"]["Default"], 14)

    def test_alarms(self):
        alarms = {r["Properties"]["MetricName"]: r["Properties"] for r in self.resources.values()
                  if r["Type"] == "AWS::CloudWatch::Alarm"}
        self.assertEqual(sorted(alarms), ["5XXError", "Latency"])
        api_name = self.resources["Api"]["Properties"]["Name"]
        for alarm in alarms.values():
            self.assertEqual(alarm["Namespace"], "AWS/ApiGateway")
            self.assertEqual(alarm["Period"], 60)
            self.assertEqual(alarm["ComparisonOperator"], "GreaterThanThreshold")
            dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
            self.assertEqual(dims, {"ApiName": api_name, "Stage": "v1"})
        errors = alarms["5XXError"]
        self.assertEqual((errors["Statistic"], errors["Threshold"], errors["EvaluationPeriods"]),
                         ("Sum", 10, 1))
        latency = alarms["Latency"]
        self.assertEqual((latency["ExtendedStatistic"], latency["Threshold"]), ("p90", 1000))

    def test_dashboard(self):
        """The operations dashboard: JSON once !Sub has filled it in, every widget's metrics
        naming this stack's API and functions, the EMF namespace the functions log to, and the
        figures issue 16 asks for (latency p50/p90/p99, 4XX, 5XX, cold starts and throttles
        per function)."""
        dashboards = [r for r in self.resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
        self.assertEqual(len(dashboards), 1)
        body_template, variables = dashboards[0]["Properties"]["DashboardBody"]["Fn::Sub"]
        self.assertEqual(variables, {"ApiName": self.resources["Api"]["Properties"]["Name"]})
        functions = ("UsersFunction", "AssetsFunction", "UploadsFunction")
        filled = body_template.replace("${AWS::Region}", "us-east-1").replace(
            "${ApiName}", "stack-api")
        for name in functions:
            self.assertIn("${%s}" % name, filled)
            filled = filled.replace("${%s}" % name, "fn-" + name)
        self.assertNotIn("${", filled, "a !Sub variable the template does not define")
        widgets = json.loads(filled)["widgets"]
        titles = [w["properties"]["title"] for w in widgets]
        text = json.dumps(widgets)
        for stat in ("p50", "p90", "p99"):
            self.assertIn('"stat": "%s"' % stat, text)
        for metric in ('"4XXError"', '"5XXError"', '"Throttles"', "ServerlessBackendApi"):
            self.assertIn(metric, text)
        cold = next(w for w in widgets if "Cold starts" in w["properties"]["title"])
        for name in functions:
            self.assertIn("/aws/lambda/fn-" + name, cold["properties"]["query"])
        self.assertIn("@initDuration", cold["properties"]["query"])
        throttles = next(w for w in widgets if "Throttles" in w["properties"]["title"])
        self.assertEqual(sorted(m[3] for m in throttles["properties"]["metrics"]),
                         sorted("fn-" + n for n in functions))
        self.assertEqual(len(titles), len(set(titles)))

    def test_outputs(self):
        outputs = self.template["Outputs"]
        for name in ("ApiUrl", "UsersTableName", "AssetsTableName", "AssetsBucketName"):
            self.assertIn(name, outputs)
        self.assertIn("/v1", outputs["ApiUrl"]["Value"]["Fn::Sub"])
        for mode in AUTH_MODES:
            with self.subTest(AuthMode=mode):
                template = self.deployed(mode)
                outputs = template["Outputs"]
                self.assertIn("ApiUrl", outputs)
                if mode == "cognito":
                    pool = self.cognito_resource(template, "AWS::Cognito::UserPool")
                    client = self.cognito_resource(template, "AWS::Cognito::UserPoolClient")
                    self.assertEqual(outputs["UserPoolId"]["Value"], {"Ref": pool})
                    self.assertEqual(outputs["UserPoolClientId"]["Value"], {"Ref": client})
                else:
                    self.assertNotIn("UserPoolId", outputs)
                    self.assertNotIn("UserPoolClientId", outputs)

    def test_samconfig(self):
        if sys.version_info < (3, 11):
            self.skipTest("tomllib needs Python 3.11")
        import tomllib
        with open(SAMCONFIG, "rb") as f:
            config = tomllib.load(f)
        build = config["default"]["build"]["parameters"]
        deploy = config["default"]["deploy"]["parameters"]
        self.assertEqual(build["template_file"], "infrastructure/template.yaml")
        self.assertIn("CAPABILITY_IAM", deploy["capabilities"])
        # Overrides, if any, name the template's parameters with allowed values (an override of
        # AuthMode would be sent by every `make deploy` and CI deploy).
        parameters = self.template["Parameters"]
        for pair in re.findall(r'(\w+)=("[^"]*"|\S+)', deploy.get("parameter_overrides", "")):
            name, value = pair[0], pair[1].strip('"')
            self.assertIn(name, parameters, "samconfig overrides an unknown parameter")
            if "AllowedValues" in parameters[name]:
                self.assertIn(value, [str(v) for v in parameters[name]["AllowedValues"]], name)

    # --- authentication (AuthMode) ----------------------------------------------------------

    def deployed(self, auth_mode):
        return deployed(self.template, {"AuthMode": auth_mode})

    def cognito_resource(self, template, kind):
        names = [n for n, r in template["Resources"].items() if r["Type"] == kind]
        self.assertEqual(len(names), 1, kind)
        return names[0]

    def test_auth_mode_parameter(self):
        parameter = self.template["Parameters"]["AuthMode"]
        self.assertEqual(parameter["Type"], "String")
        self.assertEqual(parameter["Default"], "cognito")
        self.assertEqual(sorted(parameter["AllowedValues"]), sorted(AUTH_MODES))
        self.assertEqual(evaluate_conditions(self.template, {}),
                         evaluate_conditions(self.template, {"AuthMode": "cognito"}))
        # The route table has both kinds, or the coverage checks below would prove little.
        self.assertGreaterEqual(len(protected_routes()), 7)
        self.assertNotIn(("GET", "/health"), protected_routes())
        self.assertIn(("GET", "/health"), router_routes())

    def test_no_dangling_references_in_either_auth_mode(self):
        for mode in AUTH_MODES:
            with self.subTest(AuthMode=mode):
                self.assertEqual(dangling_references(self.deployed(mode)), [])

    def check_authorizer(self, definition, resources, mode, where):
        """The API definition guards exactly the protected routes with the pool's authorizer
        (cognito), or nothing at all (none)."""
        secured = method_security(definition)
        if mode == "none":
            self.assertEqual(secured, {}, where)
            self.assertNotIn("securityDefinitions", definition, where)
            self.assertNotIn("cognito", json.dumps(definition).lower(), where)
            return
        self.assertEqual(sorted(secured), protected_routes(),
                         "%s: the authorizer must cover exactly the protected routes" % where)
        for route, security in secured.items():
            # No scopes: the REST API's Cognito authorizer then takes ID tokens.
            self.assertEqual(security, [{AUTHORIZER: []}], "%s: %s" % (where, route))
        pool = self.cognito_resource({"Resources": resources}, "AWS::Cognito::UserPool")
        self.assertEqual(definition["securityDefinitions"], {AUTHORIZER: {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": [{"Fn::GetAtt": [pool, "Arn"]}]}}}, where)
        for path, methods in definition["paths"].items():
            for method, operation in methods.items():
                if method == "options" or (method.upper(), path) not in protected_routes():
                    self.assertNotIn("security", operation, "%s: %s %s is public"
                                     % (where, method.upper(), path))

    def test_authorizer_covers_exactly_the_protected_routes(self):
        for mode in AUTH_MODES:
            with self.subTest(AuthMode=mode):
                template = self.deployed(mode)
                api = template["Resources"]["Api"]["Properties"]
                # SAM's own Auth would add an authorizer whatever AuthMode says: not used.
                self.assertNotIn("Auth", api)
                for name, function in template["Resources"].items():
                    for event in (function["Properties"].get("Events") or {}).values() \
                            if function["Type"] == "AWS::Serverless::Function" else ():
                        self.assertNotIn("Auth", event["Properties"], name)
                self.assertTrue(api["MergeDefinitions"], "the events complete DefinitionBody")
                definition = api["DefinitionBody"]
                # A method listed in the definition has an event (else: no integration).
                for path, methods in definition["paths"].items():
                    for method in methods:
                        self.assertIn((method.upper(), path), router_routes())
                self.check_authorizer(definition, template["Resources"], mode, "template")
                # An AuthMode switch on a stack must reach the stage (a new deployment).
                self.assertIs(api.get("AlwaysDeploy"), True)

    def test_cognito_resources(self):
        self.assertEqual([r for r in self.deployed("none")["Resources"].values()
                          if r["Type"].startswith("AWS::Cognito::")], [])
        resources = self.deployed("cognito")["Resources"]
        template = {"Resources": resources}
        pool_name = self.cognito_resource(template, "AWS::Cognito::UserPool")
        pool = resources[pool_name]
        self.assertEqual((pool["DeletionPolicy"], pool["UpdateReplacePolicy"]),
                         ("Retain", "Retain"), "the pool's subs are the users' ids")
        props = pool["Properties"]
        self.assertEqual(props["UsernameAttributes"], ["email"])
        self.assertIs(props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"], True)
        policy = props["Policies"]["PasswordPolicy"]
        self.assertGreaterEqual(policy["MinimumLength"], 12)
        self.assertLessEqual(policy["TemporaryPasswordValidityDays"], 7)
        client = resources[self.cognito_resource(template, "AWS::Cognito::UserPoolClient")]
        props = client["Properties"]
        self.assertEqual(props["UserPoolId"], {"Ref": pool_name})
        self.assertIs(props["GenerateSecret"], False)
        self.assertEqual(sorted(props["ExplicitAuthFlows"]), [
            "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"])
        self.assertEqual(props["PreventUserExistenceErrors"], "ENABLED")
        group = resources[self.cognito_resource(template, "AWS::Cognito::UserPoolGroup")]
        self.assertEqual(group["Properties"]["UserPoolId"], {"Ref": pool_name})
        self.assertEqual(group["Properties"]["GroupName"], "admin")

    def function_environment(self, template, name):
        """A function's variables as SAM merges them: Globals, then the function's own."""
        variables = dict(template["Globals"]["Function"].get("Environment", {})
                         .get("Variables", {}))
        own = template["Resources"][name]["Properties"].get("Environment", {})
        variables.update(own.get("Variables", {}))
        return variables

    def test_function_auth_environment(self):
        for mode, expected in AUTH_MODES.items():
            with self.subTest(AuthMode=mode):
                template = self.deployed(mode)
                groups = [r["Properties"]["GroupName"] for r in template["Resources"].values()
                          if r["Type"] == "AWS::Cognito::UserPoolGroup"]
                for name in self.functions:
                    env = self.function_environment(template, name)
                    self.assertEqual(env.get("SBAPI_AUTH"), expected, name)
                    # The claims a Cognito ID token carries (the runtime's defaults).
                    self.assertEqual(env.get("SBAPI_JWT_SUBJECT_CLAIM", "sub"), "sub", name)
                    self.assertEqual(env.get("SBAPI_JWT_GROUPS_CLAIM", "cognito:groups"),
                                     "cognito:groups", name)
                    if groups:
                        self.assertEqual([env.get("SBAPI_ADMIN_GROUP", "admin")], groups, name)

    def check_gateway_responses(self, responses, header, where):
        """`responses` as {type: (status, headers, json template)}; `header(name)` is the key
        of a response header in that form."""
        for required in ("UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN",
                         "DEFAULT_4XX", "DEFAULT_5XX"):
            self.assertIn(required, responses, where)
        statuses = {"UNAUTHORIZED": "401", "ACCESS_DENIED": "403",
                    "MISSING_AUTHENTICATION_TOKEN": "404"}
        message = 'A "quoted" message\\'
        for kind, (status, headers, body) in responses.items():
            what = "%s: %s" % (where, kind)
            self.assertEqual(status, statuses.get(kind), what)
            self.assertEqual(headers.get(header("Access-Control-Allow-Origin")), "'*'", what)
            self.assertEqual(headers.get(header("Access-Control-Expose-Headers")),
                             "'%s'" % EXPOSE_HEADERS, what)
            self.assertIsNotNone(body, "%s: no application/json body" % what)
            rendered = render_gateway_template(body, message)
            self.assertEqual(list(rendered), ["error"], what)
            self.assertIsInstance(rendered["error"], str, what)
            challenge = headers.get(header("WWW-Authenticate"))
            if kind == "UNAUTHORIZED":
                self.assertEqual(challenge, "'%s'" % CHALLENGE, what)
                self.assertEqual(rendered, {"error": AUTHENTICATION_REQUIRED}, what)
            else:
                self.assertIsNone(challenge, "%s: a challenge belongs on 401s only" % what)
            if kind == "MISSING_AUTHENTICATION_TOKEN":
                self.assertEqual(rendered, {"error": "Not found"}, what)
            if kind in ("ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"):
                self.assertEqual(rendered, {"error": message}, "%s: API Gateway's message" % what)

    def test_gateway_responses(self):
        responses = self.resources["Api"]["Properties"]["GatewayResponses"]
        self.check_gateway_responses(
            {kind: (r.get("StatusCode"), r.get("ResponseParameters", {}).get("Headers", {}),
                    r.get("ResponseTemplates", {}).get("application/json"))
             for kind, r in responses.items()},
            lambda name: name, "template")

    def test_gateway_responses_match_the_api_doc(self):
        with open(API_DOC, encoding="utf-8") as f:
            doc = " ".join(f.read().split())
        self.assertIn("| 401 `{\"error\":\"%s\"}` + `WWW-Authenticate: %s` |"
                      % (AUTHENTICATION_REQUIRED, CHALLENGE), doc)
        self.assertIn("`Access-Control-Expose-Headers: %s`" % EXPOSE_HEADERS, doc)
        self.assertIn('404 `{"error":"Not found"}`', doc)

    # --- third-party checks -----------------------------------------------------------------

    def test_cfn_lint(self):
        if importlib.util.find_spec("cfnlint") is None:
            self.skipTest("cfn-lint is not installed for %s" % sys.executable)
        # cfn-lint's console script, run by this interpreter (it has no __main__ module).
        runner = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; " \
                 "sys.exit(main())"
        result = subprocess.run([sys.executable, "-c", runner, TEMPLATE],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout.decode("utf-8", "replace"))

    def translated(self, auth_mode=None):
        text = translated_template(auth_mode)
        if text is None:
            self.skipTest("aws-sam-translator is not installed for %s" % sys.executable)
        return json.loads(text)

    def test_translated_template(self):
        out = self.translated()["Resources"]
        for name in self.functions:
            role = out[name + "Role"]["Properties"]
            allowed = FUNCTIONS[self.role_of(name)]["resources"]
            self.assertEqual(role["ManagedPolicyArns"], [
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"])
            queried = []
            for policy in role["Policies"]:
                for statement in policy["PolicyDocument"]["Statement"]:
                    actions = as_list(statement["Action"])
                    self.assertNotIn("dynamodb:Scan", actions, name)
                    for resource in as_list(statement["Resource"]):
                        named = references(resource)
                        if self.names_bucket(resource):
                            named.add("AssetsBucket")
                        self.assertTrue(named, "%s: %r" % (name, resource))
                        self.assertLessEqual(named, allowed, "%s: %r" % (name, resource))
                        if "dynamodb:Query" in actions:
                            queried.append(resource["Fn::Sub"])
            expected = (self.index_arns(FUNCTIONS[self.role_of(name)]["table"])
                        if self.role_of(name) in LISTING_ROLES else [])
            self.assertEqual(sorted(queried), expected, name)
        # The generated API definition: the router's routes, plus API Gateway's CORS preflights.
        paths = out["Api"]["Properties"]["Body"]["paths"]
        generated = sorted((method.upper(), path) for path, methods in paths.items()
                           for method in methods if method != "options")
        self.assertEqual(generated, sorted(router_routes()))
        functions_by_route = {}
        for name, function in self.functions.items():
            for event in (function["Properties"].get("Events") or {}).values():
                if event["Type"] == "Api":
                    props = event["Properties"]
                    functions_by_route[(props["Method"].upper(), props["Path"])] = name
        for path, methods in paths.items():
            self.assertIn("options", methods, path)
            for method, operation in methods.items():
                if method == "options":
                    continue
                # Each method reaches its own function (a method the definition lists without
                # an event would have no integration, and API Gateway refuses to deploy it).
                integration = operation.get("x-amazon-apigateway-integration", {})
                self.assertEqual(integration.get("type"), "aws_proxy", (method, path))
                target = functions_by_route[(method.upper(), path)]
                self.assertIn("${%s.Arn}" % target, json.dumps(integration["uri"]),
                              (method, path))
        bucket = out["AssetsBucket"]
        config = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
        uploads = self.function_with_role("uploads")
        self.assertEqual([c["Function"] for c in config], [{"Fn::GetAtt": [uploads, "Arn"]}])


    def test_translated_template_authentication(self):
        for mode, expected in AUTH_MODES.items():
            with self.subTest(AuthMode=mode):
                out = self.translated(mode)
                template = deployed(out, {"AuthMode": mode})
                resources = template["Resources"]
                self.assertEqual(dangling_references(template), [])
                kinds = {r["Type"] for r in resources.values()}
                # The one authorizer is in the API definition; SAM made no other.
                self.assertNotIn("AWS::ApiGateway::Authorizer", kinds)
                for kind in COGNITO_TYPES:
                    self.assertEqual(kind in kinds, mode == "cognito", kind)
                definition = resources["Api"]["Properties"]["Body"]
                self.check_authorizer(definition, resources, mode, "translated")
                for name in self.functions:
                    env = resources[name]["Properties"]["Environment"]["Variables"]
                    self.assertEqual(env["SBAPI_AUTH"], expected, name)
                responses = definition["x-amazon-apigateway-gateway-responses"]
                self.check_gateway_responses(
                    {kind: (r.get("statusCode"), r.get("responseParameters", {}),
                            r.get("responseTemplates", {}).get("application/json"))
                     for kind, r in responses.items()},
                    lambda name: "gatewayresponse.header." + name, "translated")


if __name__ == "__main__":
    unittest.main()
