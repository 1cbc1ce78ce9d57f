// The docs page (GET /docs: Swagger UI over GET /openapi.yaml) in a real browser: Debian's
// Chromium driven by playwright-core. Run by tests/blackbox/test_docs_page.py, which starts
// `sbapi serve` and passes (environment):
//   SBAPI_DOCS_URL         the server's origin, e.g. http://127.0.0.1:PORT
//   SBAPI_DOCS_ROUTES      a file holding `sbapi routes --json`
//   SBAPI_DOCS_CASE        a name for this run (screenshot file names), e.g. open | auth
//   SBAPI_DOCS_USER_ID     the userId to create through the page (and SBAPI_DOCS_EMAIL its email)
//   SBAPI_DOCS_TOKEN       (--auth local) a token of `sbapi token --sub <userId>`: the page must
//                          first answer 401 without it, then take it in its "Authorize" dialog
//   SBAPI_DOCS_SCREENSHOTS the folder for the screenshots (under the build tree)
//   SBAPI_DOCS_RESULT      a file this script writes: what the page showed (JSON)
//   CHROMIUM               the browser (default /usr/bin/chromium)
// Fails on any console error, page error, CSP violation, failed load, or request that leaves
// the server's origin. Uses only the page's own controls: "Try it out", "Execute", "Authorize".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set (see the top of ${import.meta.url})`);
  return value;
};
const origin = env('SBAPI_DOCS_URL').replace(/\/$/, '');
const routes = JSON.parse(readFileSync(env('SBAPI_DOCS_ROUTES'), 'utf8')).routes;
const caseName = env('SBAPI_DOCS_CASE', 'open');
const userId = env('SBAPI_DOCS_USER_ID');
const email = env('SBAPI_DOCS_EMAIL');
const token = process.env.SBAPI_DOCS_TOKEN || '';
const shotDir = env('SBAPI_DOCS_SCREENSHOTS');
const resultFile = env('SBAPI_DOCS_RESULT');
const TIMEOUT = 15000;

let browser, context, page;
const problems = [];         // console errors, page errors, CSP violations, foreign requests...
const expectedErrors = [];   // console errors a step expects (the 401 it provokes), consumed once
const result = { case: caseName, screenshots: [], operations: [] };

function problem(kind, detail) {
  problems.push(`${kind}: ${detail}`);
}

before(async () => {
  mkdirSync(shotDir, { recursive: true });
  browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-proxy-server',
      // Only 127.0.0.1 resolves; every other host name fails before any packet is sent.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--no-first-run',
      '--disable-domain-reliability', '--disable-client-side-phishing-detection',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
      '--metrics-recording-only', '--no-pings',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Anything not for the server's origin is recorded as a problem and never leaves the machine.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === origin || url.startsWith(origin + '/')) return route.continue();
    problem('request outside the server', `${route.request().method()} ${url}`);
    return route.abort('blockedbyclient');
  });
  // CSP violations also reach the console; this records them even if a browser stops logging.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location()?.url || '';
    const i = expectedErrors.findIndex((e) => e.test(`${text} @ ${where}`));
    if (i >= 0) expectedErrors.splice(i, 1);
    else problem('console error', `${text} (${where})`);
  });
  page.on('pageerror', (err) => problem('page error', err.stack || err.message));
  page.on('request', (req) => {
    const url = req.url();
    if (!(url === origin || url.startsWith(origin + '/') || url.startsWith('data:')))
      problem('request outside the server', `${req.method()} ${url}`);
  });
  page.on('requestfailed', (req) =>
    problem('failed request', `${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on('websocket', (ws) => problem('websocket', ws.url()));
  page.on('popup', (p) => problem('popup', p.url()));
  page.on('response', (res) => {
    // The page's own files must load; "Execute" answers are checked by the steps themselves.
    const url = new URL(res.url());
    if ((url.pathname === '/docs' || url.pathname.startsWith('/docs/') ||
         url.pathname === '/openapi.yaml') && res.status() !== 200)
      problem('page file', `${res.request().method()} ${res.url()} answered ${res.status()}`);
  });
});

after(async () => {
  try {
    writeFileSync(resultFile, JSON.stringify(result, null, 2));
  } finally {
    await browser?.close();
  }
});

function assertNoProblems(step) {
  const seen = problems.splice(0);  // each step reports its own
  assert.deepEqual(seen, [], `${step}: the page misbehaved`);
}

async function shot(locator, name, options = {}) {
  const file = path.join(shotDir, `docs-${caseName}-${name}.png`);
  await locator.screenshot({ path: file, ...options });
  result.screenshots.push(file);
  return file;
}

// One operation's block on the page (the first, when it is under two tags).
const operation = (operationId) =>
  page.locator(`.opblock:has(a[href$="/${operationId}"])`).first();

async function expand(op) {
  const control = op.locator('.opblock-summary-control');
  if ((await control.getAttribute('aria-expanded')) !== 'true') await control.click();
  await op.locator('.opblock-body').waitFor();
}

async function tryItOut(op) {
  // Once in "try it out" mode the button becomes "Cancel" (and "Reset"): click it only once.
  if (!(await op.locator('button.execute').count()))
    await op.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
  await op.locator('button.execute').waitFor();
}

// Clicks "Execute" (after "Clear", so no earlier answer is read) and returns what the page
// shows: {status, body (parsed JSON), requestUrl, requestId}, plus what the browser really sent
// and got (networkStatus, the Authorization header).
async function execute(op, method, urlPath) {
  const clear = op.locator('button.btn-clear');
  if (await clear.count()) {
    await clear.click();
    await op.locator('.live-responses-table').waitFor({ state: 'detached' });
  }
  const url = origin + urlPath;
  const requestSeen = page.waitForRequest((r) => r.url() === url && r.method() === method);
  const responseSeen = page.waitForResponse((r) => r.url() === url && r.request().method() === method);
  await op.locator('button.execute').click();
  const [request, response] = await Promise.all([requestSeen, responseSeen]);
  const table = op.locator('.live-responses-table');
  await table.waitFor();
  const status = (await table.locator('tbody tr.response .response-col_status').first().textContent()).trim();
  const bodyText = await table.locator('tbody tr.response .response-col_description pre.microlight').first().textContent();
  const requestUrl = (await op.locator('.request-url pre').first().textContent()).trim();
  // The answer's X-Request-Id as the page lists it (the Python side finds its access-log line).
  const shownHeaders = await table.locator('tbody tr.response .response-col_description').textContent();
  const requestId = /x-request-id:\s*([0-9a-fA-F-]{36})/.exec(shownHeaders)?.[1];
  let body;
  try {
    body = JSON.parse(bodyText);
  } catch {
    assert.fail(`${method} ${urlPath}: the page shows a body that is not JSON: ${bodyText}`);
  }
  return {
    status: Number(status), body, requestUrl, requestId,
    networkStatus: response.status(), authorization: (await request.allHeaders()).authorization,
  };
}

test('the docs page renders every operation of the route table, nothing else', async () => {
  const loaded = await page.goto(`${origin}/docs`);
  assert.equal(loaded.status(), 200);
  const csp = loaded.headers()['content-security-policy'] || '';
  assert.match(csp, /default-src 'none'/, 'GET /docs has its Content-Security-Policy');
  await page.locator('.information-container .title').waitFor();
  await page.locator('.opblock').first().waitFor();
  assert.equal(await page.locator('.swagger-ui .errors-wrapper').count(), 0,
               'Swagger UI reports errors in the document');
  // "Try it out" calls the server selected here: the relative "/" (this server).
  assert.equal(await page.locator('.servers select').inputValue(), '/');

  const blocks = await page.locator('.opblock').evaluateAll((els) => els.map((el) => ({
    method: el.querySelector('.opblock-summary-method')?.textContent.trim(),
    path: el.querySelector('.opblock-summary-path')?.getAttribute('data-path'),
    href: el.querySelector('.opblock-summary-path a')?.getAttribute('href'),
    tag: el.closest('.opblock-tag-section')?.querySelector('.opblock-tag')?.getAttribute('data-tag'),
  })));
  assert.ok(blocks.length > 0, 'no operation on the page');
  // The README's picture (docs/images/docs-page.png): the operations as a reader first sees them.
  await page.locator('.scheme-container').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot(page, 'overview');
  const onPage = new Map();   // operationId -> {method, path, tags}
  for (const b of blocks) {
    assert.ok(b.method && b.path && b.href, `an operation block without method/path/link: ${JSON.stringify(b)}`);
    const operationId = b.href.slice(b.href.lastIndexOf('/') + 1);
    const seen = onPage.get(operationId);
    if (seen) {
      assert.deepEqual([b.method, b.path], [seen.method, seen.path],
                       `${operationId} is shown twice with different method/path`);
      seen.tags.push(b.tag);
    } else {
      onPage.set(operationId, { method: b.method, path: b.path, tags: [b.tag] });
    }
  }
  const shown = [...onPage].map(([id, o]) => `${o.method} ${o.path} ${id}`).sort();
  const expected = routes.map((r) => `${r.method} ${r.path} ${r.operation}`).sort();
  result.operations = shown;
  assert.deepEqual(shown, expected, 'the operations on the page are not those of `sbapi routes`');
  // Each under its route group's tag; the serve-only tag holds exactly the serve-only routes.
  for (const r of routes) {
    const tags = onPage.get(r.operation).tags;
    assert.ok(tags.includes(r.group), `${r.operation} is not under tag ${r.group}: ${tags}`);
    assert.equal(tags.includes('serve-only'), r.served === 'serve',
                 `${r.operation} (served: ${r.served}) tags: ${tags}`);
  }
  assertNoProblems('loading /docs');
});

if (token) {
  test('without a token "Execute" answers 401 on the page', async () => {
    const op = operation('createUser');
    await expand(op);
    await tryItOut(op);
    await op.locator('textarea.body-param__text').fill(JSON.stringify({ userId, email }));
    expectedErrors.push(/status of 401 .*@ .*\/users$/);
    const shown = await execute(op, 'POST', '/users');
    assert.equal(shown.status, 401, JSON.stringify(shown));
    assert.equal(shown.networkStatus, 401);
    assert.equal(shown.authorization, undefined);
    assert.equal(typeof shown.body.error, 'string');
    result.unauthorized = shown;
    assertNoProblems('POST /users without a token');
  });

  test('the "Authorize" dialog takes the bearer token', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor();
    const bearer = dialog.locator('.auth-container', { hasText: 'bearerAuth' });
    await bearer.locator('input').fill(token);
    await bearer.locator('button.authorize').click();
    await bearer.locator('button', { hasText: 'Logout' }).waitFor();  // now authorised
    await dialog.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });
    assert.match(await page.locator('.auth-wrapper button.authorize').getAttribute('class'), /locked/);
    assertNoProblems('Authorize');
  });
}

test('"Try it out" creates a user and reads it back from the server', async () => {
  const create = operation('createUser');
  await expand(create);
  await tryItOut(create);
  await create.locator('textarea.body-param__text').fill(JSON.stringify({ userId, email }));
  const created = await execute(create, 'POST', '/users');
  assert.equal(created.requestUrl, `${origin}/users`);
  assert.equal(created.status, 201, JSON.stringify(created));
  assert.equal(created.networkStatus, 201);
  assert.equal(created.authorization, token ? `Bearer ${token}` : undefined);
  assert.equal(created.body.user?.userId, userId, JSON.stringify(created.body));
  assert.equal(created.body.user?.email, email, JSON.stringify(created.body));
  result.created = created;

  const read = operation('getUser');
  await expand(read);
  await tryItOut(read);
  await read.locator('tr[data-param-name="id"] input').fill(userId);
  const got = await execute(read, 'GET', `/users/${encodeURIComponent(userId)}`);
  assert.equal(got.requestUrl, `${origin}/users/${encodeURIComponent(userId)}`);
  assert.equal(got.status, 200, JSON.stringify(got));
  assert.equal(got.networkStatus, 200);
  assert.equal(got.authorization, token ? `Bearer ${token}` : undefined);
  assert.equal(got.body.userId, userId, JSON.stringify(got.body));
  assert.equal(got.body.email, email, JSON.stringify(got.body));
  assert.equal(got.body.createdAt, created.body.user.createdAt);
  result.read = got;

  // The live answer: curl line, request URL, status, body, headers (not the documented ones).
  await shot(read.locator('.responses-inner > div:has(.live-responses-table)'), 'response');
  await shot(page, 'full', { fullPage: true });
  assertNoProblems('create and read back');
});

test('nothing went wrong after the last step', async () => {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
  assertNoProblems('the end');
});
