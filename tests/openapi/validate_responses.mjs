#!/usr/bin/env node
// Validates every recorded black-box exchange against openapi.yaml (issue 15).
//
//   node validate_responses.mjs [--doc openapi.yaml] DIR...   # the *.jsonl files in each DIR
//   node validate_responses.mjs --self-test                   # proves that the checks bite
//
// The exchanges come from tests/blackbox/response_log.py (SBAPI_RESPONSE_LOG=DIR): one JSON line
// per exchange with a `sbapi serve` (or an API Gateway result of `sbapi invoke`). The schemas
// are checked by openapi-backend (its OpenAPIValidator over Ajv), not by code written here; this
// script only decides which part of the document an exchange answers to, and fails when there
// is none. Rules:
//
//  1. Matching. The raw path is split on "/" and each segment percent-decoded (a segment that
//     does not decode is matched as it is). On a server with a local object endpoint, a path
//     whose first segment is that server's bucket, followed by "/", is `/{bucket}/{key}` (the
//     key may hold "/"; an empty key is refused by the endpoint, as documented there).
//     Otherwise the path item whose template matches segment by segment (a literal equals, a
//     `{param}` takes one non-empty segment; literals win over parameters); none: an unknown
//     path. `/.well-known/jwks.json` is an unknown path on a server not run with
//     `--auth local` (the recorder notes the mode); for `sbapi invoke` (Lambda) every path
//     whose operations are all tagged `serve-only` is an unknown path. The operation is the
//     path item's method, compared case-sensitively (`get` is not GET: a method the path does
//     not have). An absolute-form target (`GET http://host/users/u1`) is matched by its path.
//  2. Status. It must be a key of the operation's `responses`: the exact code, or a range
//     (`4XX`). `default` is accepted only where the response says `x-deliberate-default: true`
//     (the document has none): an undocumented status fails.
//  3. Media type and body. The response's Content-Type (without parameters) must be one of the
//     response's `content` types (`*/*` and `type/*` match as ranges); a response without
//     `content` must have an empty body. application/json bodies must parse and are validated
//     by openapi-backend's validateResponse against the schema for that status (the response
//     schemas say additionalProperties: false, so an undocumented field fails). application/xml
//     bodies (S3's error document) are read into {child: text} and validated against their
//     schema with openapi-backend's Ajv, root element = the schema's `xml.name`. Other media
//     types (binary objects, YAML, HTML, JavaScript) are checked by media type only. HEAD
//     answers have no body: no media type or body check. A body the recorder did not keep
//     (over 256 KiB, or not read) is not checked.
//  4. Headers. Headers the response documents are validated by openapi-backend's
//     validateResponseHeaders (schemas, coerced from text); every header marked `required: true`
//     must be present.
//  5. Answers of no operation are held to components.responses, through synthetic operations
//     built from them (so that openapi-backend validates them the same way):
//       - an unknown path: 404 NotFound;
//       - a known path, a method it does not have: 405 MethodNotAllowed (object endpoint:
//         S3MethodNotAllowed), and `Allow` must list exactly the path's methods plus OPTIONS;
//       - OPTIONS on a known path: 204 Preflight (object endpoint: S3Preflight);
//       - a request line that does not parse (raw-socket tests): no operation at all;
//     and in each case also the answers given before routing: 400 MalformedRequest,
//     413 PayloadTooLarge, 431 HeadersTooLarge, 500 InternalError, 503 ServiceUnavailable
//     (object endpoint: S3BadRequest, S3HeadersTooLarge, S3InternalError, S3ServiceUnavailable).
//     Anything else fails.
//  6. Zero exchanges in the given directories is a failure (nothing was validated).
//  7. --self-test: hand-made exchanges that break each rule (an undocumented status, an extra
//     field, a wrong type, a missing required header, another media type, ...) must each fail
//     for the expected reason, a few valid ones must pass, an empty log must fail, and every
//     object schema a response body can take must say additionalProperties: false.
//
// Prints exchanges per suite and per operation/status, then every failure with its exchange and
// the validator's errors; exits 1 on any failure, 2 on a usage or document error.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { OpenAPIBackend } = require('openapi-backend');
const yaml = require('js-yaml');
const addFormats = require('ajv-formats');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_DOC = path.resolve(HERE, '..', '..', 'openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const OBJECT_PATH = '/{bucket}/{key}';

// Synthetic operations for answers of no operation (rule 5): operationId -> response refs.
const TRANSPORT = {
  400: 'MalformedRequest', 413: 'PayloadTooLarge', 431: 'HeadersTooLarge',
  500: 'InternalError', 503: 'ServiceUnavailable',
};
const S3_TRANSPORT = {
  400: 'S3BadRequest', 431: 'S3HeadersTooLarge', 500: 'S3InternalError',
  503: 'S3ServiceUnavailable',
};
const SYNTHETIC = {
  'x-unknownPath': { 404: 'NotFound', ...TRANSPORT },
  'x-methodNotAllowed': { 405: 'MethodNotAllowed', ...TRANSPORT },
  'x-preflight': { 204: 'Preflight', ...TRANSPORT },
  'x-unparsedRequest': { ...TRANSPORT },
  'x-objectMethodNotAllowed': { 405: 'S3MethodNotAllowed', ...S3_TRANSPORT },
  'x-objectPreflight': { 204: 'S3Preflight', ...S3_TRANSPORT },
};

function usage(message) {
  console.error(`validate_responses: ${message}`);
  console.error('usage: node validate_responses.mjs [--doc openapi.yaml] DIR... | --self-test');
  process.exit(2);
}

// ------------------------------------------------------------------------------- the document

export async function loadValidator(docPath = DEFAULT_DOC) {
  const document = yaml.load(fs.readFileSync(docPath, 'utf8'));
  const definition = structuredClone(document);
  const missing = [];
  for (const [operationId, responses] of Object.entries(SYNTHETIC)) {
    const out = {};
    for (const [status, name] of Object.entries(responses)) {
      if (!document.components?.responses?.[name]) missing.push(`components.responses.${name}`);
      out[status] = { $ref: `#/components/responses/${name}` };
    }
    definition.paths[`/x-no-operation/${operationId}`] = {
      get: { operationId, security: [], responses: out },
    };
  }
  if (missing.length) {
    throw new Error(`the document lacks ${[...new Set(missing)].join(', ')}, which the rules for answers of no operation need`);
  }
  const api = new OpenAPIBackend({
    definition,
    strict: true,
    quick: false,
    validate: true,
    ajvOpts: { strict: false, allErrors: true },
    customizeAjv: (ajv) => {
      addFormats(ajv, ['uri', 'date-time']);
      return ajv;
    },
  });
  await api.init();
  const paths = Object.keys(document.paths).map((template) => ({
    template,
    segments: template.split('/').slice(1),
    literals: template.split('/').slice(1).filter((s) => !/^\{.*\}$/.test(s)).length,
  }));
  return { api, document, paths };
}

// ------------------------------------------------------------------------------- matching

function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function splitTarget(target) {
  const q = target.indexOf('?');
  return q < 0 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

// -> {kind: 'operation', operation, template} | {kind: 'synthetic', operationId, template?}
export function match(ctx, exchange) {
  let target = typeof exchange.target === 'string' ? exchange.target : null;
  const absolute = target && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/'; // absolute-form (RFC 9112 3.2.2)
  if (typeof exchange.method !== 'string' || target === null || !target.startsWith('/')) {
    return { kind: 'synthetic', operationId: 'x-unparsedRequest' };
  }
  // Methods are case-sensitive (RFC 9110 9.1): `get` is not GET, so it is a method the path
  // does not have.
  const method = exchange.method === exchange.method.toUpperCase()
    ? exchange.method.toLowerCase() : `(${exchange.method})`;
  const [rawPath] = splitTarget(target);
  const segments = rawPath.split('/').slice(1).map(decodeSegment);
  let template = null;
  if (exchange.objectBucket && segments.length >= 2 && segments[0] === exchange.objectBucket) {
    template = OBJECT_PATH; // (`/<bucket>/`, an empty key, too: the endpoint refuses it)
  } else {
    const candidates = ctx.paths.filter((p) => p.template !== OBJECT_PATH
      && p.segments.length === segments.length
      && p.segments.every((s, i) => (/^\{.*\}$/.test(s) ? segments[i] !== '' : s === segments[i])));
    candidates.sort((a, b) => b.literals - a.literals);
    template = candidates.length ? candidates[0].template : null;
  }
  // /.well-known/jwks.json is served by `--auth local` only (getJwks): elsewhere it is an
  // unknown path, for every method.
  if (template === '/.well-known/jwks.json' && exchange.auth && exchange.auth !== 'local') {
    template = null;
  }
  // On Lambda (`sbapi invoke`) the serve-only paths are not routed: unknown paths there.
  if (template !== null && exchange.transport === 'lambda-invoke') {
    const item = ctx.document.paths[template];
    const ops = METHODS.filter((m) => item[m]).map((m) => item[m]);
    if (ops.length && ops.every((op) => (op.tags || []).includes('serve-only'))) template = null;
  }
  if (template === null) return { kind: 'synthetic', operationId: 'x-unknownPath' };
  const item = ctx.document.paths[template];
  const object = template === OBJECT_PATH;
  if (METHODS.includes(method) && item[method]) {
    return { kind: 'operation', operationId: item[method].operationId, template };
  }
  if (exchange.method === 'OPTIONS') {
    return { kind: 'synthetic', operationId: object ? 'x-objectPreflight' : 'x-preflight', template };
  }
  return {
    kind: 'synthetic',
    operationId: object ? 'x-objectMethodNotAllowed' : 'x-methodNotAllowed',
    template,
  };
}

// ------------------------------------------------------------------------------- checks

function documentedResponse(operation, status) {
  const responses = operation.responses || {};
  if (responses[String(status)]) return responses[String(status)];
  const range = `${Math.floor(status / 100)}XX`;
  if (responses[range]) return responses[range];
  if (responses.default && responses.default['x-deliberate-default'] === true) {
    return responses.default;
  }
  return null;
}

function mediaType(headers) {
  const value = headers['content-type'];
  return value === undefined ? null : value.split(';')[0].trim().toLowerCase();
}

function mediaMatches(range, type) {
  if (range === '*/*') return type !== null;
  if (range.endsWith('/*')) return type !== null && type.startsWith(range.slice(0, -1));
  return range.toLowerCase() === type;
}

function bodyBytes(exchange) {
  if (exchange.bodyBase64 !== undefined) return Buffer.from(exchange.bodyBase64, 'base64');
  return Buffer.from(exchange.body ?? '', 'utf8');
}

// A flat XML document (S3's <Error><Code/>…</Error>) -> {root, fields} or null.
function parseFlatXml(text) {
  const body = text.replace(/^\s*<\?xml[^>]*\?>\s*/, '').trim();
  const outer = /^<([A-Za-z][\w.-]*)>([\s\S]*)<\/\1>$/.exec(body);
  if (!outer) return null;
  const fields = {};
  const child = /<([A-Za-z][\w.-]*)>([^<]*)<\/\1>|<([A-Za-z][\w.-]*)\/>|(\s+)/gy;
  let rest = outer[2];
  let m;
  let consumed = 0;
  while (consumed < rest.length && (m = child.exec(rest)) !== null) {
    if (m[1]) fields[m[1]] = m[2].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    else if (m[3]) fields[m[3]] = '';
    consumed = child.lastIndex;
  }
  if (consumed !== rest.length) return null;
  return { root: outer[1], fields };
}

const xmlValidators = new WeakMap();

function validateXml(ctx, schema, text) {
  const doc = parseFlatXml(text);
  if (!doc) return ['the body is not a flat XML document'];
  const errors = [];
  const root = schema.xml?.name;
  if (root && doc.root !== root) errors.push(`XML root <${doc.root}>, the document says <${root}>`);
  let validate = xmlValidators.get(schema);
  if (!validate) {
    validate = ctx.api.validator.getAjv('responseValidator').compile(schema);
    xmlValidators.set(schema, validate);
  }
  if (!validate(doc.fields)) errors.push(...validate.errors.map(formatAjvError));
  return errors;
}

function formatAjvError(e) {
  const where = e.instancePath || '(root)';
  const extra = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
  return `${where} ${e.message}${extra}`;
}

function allowedMethods(item) {
  return [...METHODS.filter((m) => item[m]).map((m) => m.toUpperCase()), 'OPTIONS'];
}

// -> {key: "operationId status", errors: [...], skippedBody: bool}
export function validateExchange(ctx, exchange) {
  const errors = [];
  const m = match(ctx, exchange);
  const { operationId } = m;
  const operation = ctx.api.router.getOperation(operationId);
  const status = Number(exchange.status);
  const headers = Object.fromEntries(Object.entries(exchange.headers || {})
    .map(([k, v]) => [k.toLowerCase(), String(v)]));
  const key = `${operationId} ${status}`;
  const response = documentedResponse(operation, status);
  if (!response) {
    const documented = Object.keys(operation.responses || {}).join(', ');
    errors.push(`status ${status} is not documented for ${operationId}`
      + `${m.template ? ` (${exchange.method} ${m.template})` : ''}; documented: ${documented}`);
    return { key, errors, skippedBody: false };
  }

  // Headers: schemas by openapi-backend, presence of the required ones here.
  const headerResult = ctx.api.validator.validateResponseHeaders(headers, operationId, {
    statusCode: status, setMatchType: 'any',
  });
  if (!headerResult.valid) errors.push(...headerResult.errors.map((e) => `header ${formatAjvError(e)}`));
  for (const [name, header] of Object.entries(response.headers || {})) {
    if (header.required === true && headers[name.toLowerCase()] === undefined) {
      errors.push(`required header ${name} is missing`);
    }
  }
  if (status === 405 && m.template) {
    const want = allowedMethods(ctx.document.paths[m.template]).sort();
    const got = (headers.allow || '').split(',').map((s) => s.trim()).filter(Boolean).sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      errors.push(`Allow: ${headers.allow ?? '(none)'}; the document's methods of ${m.template}: ${want.join(', ')}`);
    }
  }

  // Media type and body.
  let skippedBody = false;
  const isHead = String(exchange.method).toUpperCase() === 'HEAD';
  const body = bodyBytes(exchange);
  if (exchange.bodyOmitted) {
    skippedBody = true;
  } else if (isHead) {
    if (body.length) errors.push(`a HEAD answer with a body of ${body.length} bytes`);
  } else if (!response.content) {
    if (body.length) {
      errors.push(`the document says no body for ${status}, got ${body.length} bytes (${headers['content-type'] ?? 'no Content-Type'})`);
    }
  } else {
    const type = mediaType(headers);
    const ranges = Object.keys(response.content);
    const chosen = ranges.find((r) => r.toLowerCase() === type) ?? ranges.find((r) => mediaMatches(r, type));
    if (!chosen) {
      errors.push(`Content-Type ${headers['content-type'] ?? '(none)'} is not documented for ${status} (${ranges.join(', ')})`);
    } else if (type === 'application/json') {
      let parsed;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (e) {
        errors.push(`the body is not JSON (${e.message}): ${body.toString('utf8').slice(0, 200)}`);
      }
      if (parsed !== undefined) {
        const result = ctx.api.validator.validateResponse(parsed, operationId, status);
        if (!result.valid) errors.push(...result.errors.map((e) => `body ${formatAjvError(e)}`));
      }
    } else if (type === 'application/xml' && response.content[chosen].schema?.type === 'object') {
      errors.push(...validateXml(ctx, response.content[chosen].schema, body.toString('utf8'))
        .map((e) => `body ${e}`));
    }
  }
  return { key, errors, skippedBody };
}

// ------------------------------------------------------------------------------- the log

export function readExchanges(dirs) {
  const out = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
      const lines = fs.readFileSync(path.join(dir, name), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        try {
          out.push({ ...JSON.parse(line), _where: `${name}:${i + 1}` });
        } catch (e) {
          out.push({ _broken: `${name}:${i + 1}: not JSON (${e.message})` });
        }
      });
    }
  }
  return out;
}

function describe(ex) {
  const body = ex.bodyBase64 !== undefined ? `(base64) ${ex.bodyBase64.slice(0, 80)}`
    : ex.bodyOmitted ? '(not kept)' : JSON.stringify((ex.body ?? '').slice(0, 300));
  const target = typeof ex.target === 'string' && ex.target.length > 160
    ? `${ex.target.slice(0, 160)}…` : ex.target;
  return [
    `    ${ex.method ?? '(unparsed)'} ${target ?? ''} -> ${ex.status}   [${ex.transport}, ${ex._where}]`,
    `    test: ${ex.test ?? '(none)'}`,
    `    headers: ${JSON.stringify(ex.headers)}`,
    `    body: ${body}`,
  ].join('\n');
}

export function validateAll(ctx, exchanges) {
  const perSuite = new Map();
  const perKey = new Map();
  const failures = [];
  let skippedBodies = 0;
  for (const ex of exchanges) {
    if (ex._broken) {
      failures.push({ ex: null, errors: [ex._broken] });
      continue;
    }
    const suite = `${ex.suite}${ex.transport === 'lambda-invoke' ? ' (lambda invoke)' : ''}`;
    perSuite.set(suite, (perSuite.get(suite) || 0) + 1);
    let result;
    try {
      result = validateExchange(ctx, ex);
    } catch (e) {
      result = { key: 'error', errors: [`validator error: ${e.stack}`], skippedBody: false };
    }
    perKey.set(result.key, (perKey.get(result.key) || 0) + 1);
    if (result.skippedBody) skippedBodies += 1;
    if (result.errors.length) failures.push({ ex, errors: result.errors });
  }
  return { perSuite, perKey, failures, skippedBodies, total: exchanges.length };
}

function report(summary) {
  const { perSuite, perKey, failures, skippedBodies, total } = summary;
  console.log(`validate_responses: ${total} exchanges against ${DEFAULT_DOC}`);
  console.log('per suite:');
  for (const [suite, n] of [...perSuite].sort()) console.log(`  ${String(n).padStart(6)}  ${suite}`);
  console.log('per operation and status:');
  for (const [k, n] of [...perKey].sort()) console.log(`  ${String(n).padStart(6)}  ${k}`);
  if (skippedBodies) console.log(`(${skippedBodies} bodies not kept by the recorder: status, headers and media type checked only)`);
  // Group identical failures so that a repeated mismatch prints once with a count.
  const groups = new Map();
  for (const f of failures) {
    const key = f.errors.join('\n') + (f.ex ? ` ${f.ex.method} ${f.ex.status}` : '');
    if (!groups.has(key)) groups.set(key, { first: f, count: 0 });
    groups.get(key).count += 1;
  }
  for (const { first, count } of groups.values()) {
    console.log(`\nFAIL${count > 1 ? ` (${count} exchanges like this one)` : ''}:`);
    for (const e of first.errors) console.log(`  - ${e}`);
    if (first.ex) console.log(describe(first.ex));
  }
  console.log(`\n${failures.length} of ${total} exchanges failed.`);
}

// ------------------------------------------------------------------------------- self-test

// Every object schema a response body can take must refuse undocumented fields
// (additionalProperties: false); otherwise an extra field would pass unnoticed.
export function looseResponseSchemas(document) {
  const loose = [];
  const seen = new Set();
  const resolve = (node) => {
    let n = node;
    while (n && typeof n.$ref === 'string') {
      n = n.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], document);
    }
    return n;
  };
  const walk = (schema, where) => {
    const s = resolve(schema);
    if (!s || typeof s !== 'object' || seen.has(s)) return;
    seen.add(s);
    if ((s.type === 'object' || s.properties) && s.additionalProperties !== false) loose.push(where);
    for (const [name, sub] of Object.entries(s.properties || {})) walk(sub, `${where}.${name}`);
    if (s.items) walk(s.items, `${where}[]`);
    for (const k of ['allOf', 'oneOf', 'anyOf']) (s[k] || []).forEach((sub, i) => walk(sub, `${where}.${k}[${i}]`));
  };
  const responses = [];
  for (const [p, item] of Object.entries(document.paths || {})) {
    for (const m of METHODS) {
      for (const [status, r] of Object.entries(item[m]?.responses || {})) responses.push([`${m.toUpperCase()} ${p} ${status}`, r]);
    }
  }
  for (const [name, r] of Object.entries(document.components?.responses || {})) responses.push([`components.responses.${name}`, r]);
  for (const [where, r] of responses) {
    for (const [type, media] of Object.entries(resolve(r)?.content || {})) {
      if (media.schema) walk(media.schema, `${where} ${type}`);
    }
  }
  return loose;
}

// Hand-made exchanges: the first must pass, every other one must fail (and an empty log too).
async function selfTest(docPath) {
  const ctx = await loadValidator(docPath);
  const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-a2fb4a1d1a96d312-01';
  const json = { 'content-type': 'application/json', 'x-request-id': 'r', traceparent: TP, 'access-control-allow-origin': '*' };
  const user = { userId: 'u1', email: 'a@b.co', createdAt: 1, ttl: 2 };
  const base = { suite: 'self-test', transport: 'http', objectBucket: 'sbapi-assets', requestHeaders: {} };
  const ex = (method, target, status, headers, body) => ({
    ...base, method, target, status, headers, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const preflight = {
    'x-request-id': 'r', traceparent: TP, 'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
    'access-control-allow-headers': 'Content-Type', 'access-control-max-age': '600',
  };
  const xml = { 'content-type': 'application/xml', 'x-request-id': 'r', traceparent: TP };
  const good = [
    ex('GET', '/health', 200, json, { status: 'ok' }),
    ex('GET', '/users/u1', 200, json, user),
    ex('GET', '/users/u1', 200, json, { ...user, name: 'Ann\u00a0Lee\tX', department: 'R\u00e9seau' }),
    ex('PATCH', '/users/u1', 405, { ...json, allow: 'GET, PUT, DELETE, OPTIONS' }, { error: 'Method not allowed' }),
    ex('GET', '/nope', 404, json, { error: 'Not found' }),
    { ...ex('GET', '/openapi.yaml', 404, json, { error: 'Not found' }), transport: 'lambda-invoke', objectBucket: null },
    ex('OPTIONS', '/users', 204, preflight, ''),
    ex('PUT', '/sbapi-assets/k', 200, { 'x-request-id': 'r', traceparent: TP, etag: '"838d3870873a75639041ff8940f397db"' }, ''),
    ex('GET', '/sbapi-assets/k', 403, xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>r</RequestId></Error>'),
  ];
  // name -> [exchange, a text the first error must contain]
  const bad = {
    'undocumented status': [ex('GET', '/health', 418, json, { error: 'teapot' }), 'status 418 is not documented'],
    'undocumented field': [ex('GET', '/users/u1', 200, json, { ...user, role: 'admin' }), 'additional properties'],
    'wrong type': [ex('GET', '/users/u1', 200, json, { ...user, createdAt: 'yesterday' }), 'must be integer'],
    'missing required field': [ex('GET', '/users/u1', 200, json, { userId: 'u1', email: 'a@b.co' }), 'required property'],
    'extra field in an error': [ex('GET', '/users/u1', 404, json, { error: 'User not found', sql: 'SELECT' }), 'additional properties'],
    'field breaking its pattern': [ex('GET', '/users/u1', 200, json, { ...user, userId: 'a b' }), 'must match pattern'],
    'email with a no-break space': [ex('GET', '/users/u1', 200, json, { ...user, email: 'a\u00a0b@x.co' }), 'must match pattern'],
    'email with a C1 control': [ex('GET', '/users/u1', 200, json, { ...user, email: 'a\u0085b@x.co' }), 'must match pattern'],
    'name with a C1 control': [ex('GET', '/users/u1', 200, json, { ...user, name: 'x\u0085y' }), 'must match pattern'],
    'department with U+2028': [ex('GET', '/users/u1', 200, json, { ...user, department: 'x\u2028y' }), 'must match pattern'],
    'null where a string is required': [ex('GET', '/users/u1', 200, json, { ...user, name: null }), 'must be string'],
    'missing X-Request-Id': [ex('GET', '/health', 200, { 'content-type': 'application/json' }, { status: 'ok' }), 'X-Request-Id is missing'],
    'wrong media type': [ex('GET', '/health', 200, { ...json, 'content-type': 'text/plain' }, { status: 'ok' }), 'Content-Type text/plain'],
    'not JSON': [ex('GET', '/health', 200, json, 'ok'), 'not JSON'],
    'status only by default': [ex('GET', '/users/u1', 402, json, { error: 'pay' }), 'status 402 is not documented'],
    '405 without Allow': [ex('PATCH', '/users/u1', 405, json, { error: 'Method not allowed' }), 'Allow is missing'],
    '405 with the wrong Allow': [ex('PATCH', '/users/u1', 405, { ...json, allow: 'GET' }, { error: 'Method not allowed' }), 'Allow: GET'],
    'a lower-case method served': [ex('get', '/users/u1', 200, json, user), 'status 200 is not documented'],
    'JWKS served without --auth local': [{ ...ex('GET', '/.well-known/jwks.json', 200, json, { keys: [] }), auth: 'none' }, 'x-unknownPath'],
    'a serve-only route served by Lambda': [{ ...ex('GET', '/openapi.yaml', 200, { ...json, 'content-type': 'application/yaml' }, 'openapi: 3.0.3'), transport: 'lambda-invoke', objectBucket: null }, 'x-unknownPath'],
    'unknown path answered 200': [ex('GET', '/nope', 200, json, { status: 'ok' }), 'status 200 is not documented'],
    'preflight with a body': [ex('OPTIONS', '/users', 204, preflight, { error: 'x' }), 'no body'],
    'preflight without its headers': [ex('OPTIONS', '/users', 204, { 'x-request-id': 'r', traceparent: TP }, ''), 'Access-Control-Allow-Methods is missing'],
    'S3 error as JSON': [ex('GET', '/sbapi-assets/k', 403, json, { error: 'denied' }), 'Content-Type application/json'],
    'S3 error without Code': [ex('GET', '/sbapi-assets/k', 403, xml,
      '<?xml version="1.0" encoding="UTF-8"?><Error><Message>m</Message><RequestId>r</RequestId></Error>'), "required property 'Code'"],
    'S3 error with another root': [ex('GET', '/sbapi-assets/k', 403, xml,
      '<Oops><Code>c</Code><Message>m</Message><RequestId>r</RequestId></Oops>'), 'XML root'],
    'ETag not quoted': [ex('PUT', '/sbapi-assets/k', 200, { 'x-request-id': 'r', traceparent: TP, etag: 'abc' }, ''), 'header'],
    'traceparent missing': [ex('GET', '/health', 200, Object.fromEntries(Object.entries(json).filter(([k]) => k !== 'traceparent')), { status: 'ok' }), 'traceparent'],
    'traceparent malformed': [ex('GET', '/health', 200, { ...json, traceparent: '00-XYZ' }, { status: 'ok' }), 'header'],
    '401 without WWW-Authenticate': [ex('GET', '/users/u1', 401, json, { error: 'Authentication required' }), 'WWW-Authenticate is missing'],
    '503 without Retry-After': [ex('GET', '/users/u1', 503, json, { error: 'Service temporarily unavailable' }), 'Retry-After is missing'],
    'Retry-After not a number': [ex('GET', '/users/u1', 503, { ...json, 'retry-after': 'soon' }, { error: 'Service temporarily unavailable' }), 'header'],
  };
  let broken = 0;
  const loose = looseResponseSchemas(ctx.document);
  for (const where of loose) {
    broken += 1;
    console.log(`self-test: a response schema allows undocumented fields (no additionalProperties: false): ${where}`);
  }
  if (!loose.length) console.log('self-test: every object in a response schema refuses undocumented fields');
  for (const g of good) {
    const r = validateExchange(ctx, g);
    if (r.errors.length) {
      broken += 1;
      console.log(`self-test: a valid exchange failed (${g.method} ${g.target} ${g.status}): ${r.errors.join('; ')}`);
    }
  }
  for (const [name, [b, expected]] of Object.entries(bad)) {
    const r = validateExchange(ctx, b);
    if (!r.errors.length) {
      broken += 1;
      console.log(`self-test: "${name}" passed, it must fail`);
    } else if (!r.errors.some((e) => e.includes(expected))) {
      broken += 1;
      console.log(`self-test: "${name}" failed for another reason than "${expected}": ${r.errors.join('; ')}`);
    } else {
      console.log(`self-test: "${name}" fails as it must: ${r.errors.find((e) => e.includes(expected))}`);
    }
  }
  // An empty log directory must fail the run (nothing validated is not a pass).
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sbapi-validate-'));
  try {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--doc', docPath, empty],
      { encoding: 'utf8' });
    if (run.status !== 1) {
      broken += 1;
      console.log(`self-test: an empty log directory exited ${run.status}, it must exit 1`);
    } else {
      console.log('self-test: an empty log directory fails as it must');
    }
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
  console.log(broken ? `self-test: FAILED, ${broken} check(s) do not bite` : `self-test: ok (${good.length} valid pass, ${Object.keys(bad).length} invalid fail, an empty log fails)`);
  return broken === 0;
}

// ------------------------------------------------------------------------------- main

async function main(argv) {
  let docPath = DEFAULT_DOC;
  let self = false;
  const dirs = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--doc') docPath = argv[++i] ?? usage('--doc needs a file');
    else if (argv[i] === '--self-test') self = true;
    else if (argv[i].startsWith('-')) usage(`unknown option ${argv[i]}`);
    else dirs.push(argv[i]);
  }
  if (self) {
    process.exit((await selfTest(docPath)) ? 0 : 1);
  }
  if (!dirs.length) usage('no log directory given');
  let ctx;
  try {
    ctx = await loadValidator(docPath);
  } catch (e) {
    console.error(`validate_responses: cannot load ${docPath}: ${e.message}`);
    process.exit(2);
  }
  const exchanges = readExchanges(dirs);
  if (!exchanges.length) {
    console.error(`validate_responses: no exchanges in ${dirs.join(', ')}: nothing was validated (did the black-box suites run with SBAPI_RESPONSE_LOG set?)`);
    process.exit(1);
  }
  const summary = validateAll(ctx, exchanges);
  report(summary);
  process.exit(summary.failures.length ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
