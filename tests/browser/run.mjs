// Browser tests of rectrack's web pages, in Debian's Chromium driven by
// playwright-core, with axe-core checking WCAG 2.2 AA on every page type.
//
//   node --test run.mjs        (run.sh does `npm ci` first)
//
// Environment:
//   RECTRACK_BIN          the executable (default ../../build/rectrack)
//   RECTRACK_SOURCE_DIR   the repository (default ../..)
//   CHROMIUM              the browser (default /usr/bin/chromium)
//   BROWSER_SCREENSHOTS   a folder to keep screenshots in (default: none kept)
//   BROWSER_KEEP          set to keep the temporary store and server log
//
// One store and one server for the whole file; the tests run in order, and
// later ones rely on what earlier ones did (the editor's update is validated,
// then published, then seen by the public).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(process.env.RECTRACK_SOURCE_DIR || path.join(here, '..', '..'));
const BIN = path.resolve(process.env.RECTRACK_BIN || path.join(SRC, 'build', 'rectrack'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const SOURCE = 'harris-2016';
const EDITOR = { name: 'ho-editor', password: 'correct horse battery staple 1', owner: 'Home Office' };
const COORD = { name: 'coordinator', password: 'correct horse battery staple 2' };
const ADMIN = { name: 'office-admin', password: 'correct horse battery staple 3' };
const NARRATIVE = 'CONTEST was published in June 2018 (browser test).';
const EVIDENCE = 'https://www.gov.uk/government/publications/counter-terrorism-strategy-contest-2018';
const PUB_TITLE = 'Browser test update: G3 implemented';

// ---- the store and the server ---------------------------------------------------

let tmp;
let db;
let server;       // { proc, exited: Promise<{code, signal}>, log: string[] }
let base;         // http://127.0.0.1:PORT
let browser;
const ids = {};   // found through the JSON API: recommendation and owner ids, publications

// The store: an SQLite file in tmp, or the PostgreSQL schema run.sh names in
// RECTRACK_BROWSER_DB (the tests' PostgreSQL run); its key file in tmp.
const storeArgs = () => ['--db', db, '--key-file', path.join(tmp, 'browser.db.key')];

function rectrack(args, input) {
  const r = spawnSync(BIN, [...storeArgs(), ...args], {
    input, encoding: 'utf8', cwd: SRC, timeout: 300_000,
    env: { ...process.env, TZ: 'Europe/London' },
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`rectrack ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `rectrack serve --listen 127.0.0.1:0` and reads the port it bound from
// the line it prints ("... on http://127.0.0.1:PORT/"), then waits for /healthz.
async function startServer() {
  const logFile = path.join(tmp, 'serve.log');
  const err = fs.openSync(logFile, 'w');
  const proc = spawn(BIN, [...storeArgs(), 'serve', '--listen', '127.0.0.1:0'], {
    cwd: SRC, stdio: ['ignore', 'pipe', err], env: { ...process.env, TZ: 'Europe/London' },
  });
  fs.closeSync(err);
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })));
  server = { proc, exited, logFile, done: false, stdout: '' };
  exited.then(() => { server.done = true; });
  const port = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 30_000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk) => {
      server.stdout += chunk;
      const m = server.stdout.match(/http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(() => { clearTimeout(timer); resolve(null); });
  });
  if (!port)
    throw new Error(`rectrack serve printed no address:\n${server.stdout}\n${serverLog()}`);
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline && !server.done) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (e) {
      last = String(e.cause?.code || e.message);
    }
    await sleep(100);
  }
  throw new Error(`rectrack serve did not answer /healthz (${last}):\n${serverLog()}`);
}

function serverLog() {
  try {
    return server.stdout + fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

async function api(p) {
  const r = await fetch(base + p, { headers: { Accept: 'application/json' } });
  assert.equal(r.status, 200, `GET ${p}`);
  return r.json();
}

// ---- the browser ---------------------------------------------------------------

const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

// A browser context. axe is injected as a script, which the pages' strict CSP
// (script-src 'self') forbids, so contexts that run axe bypass the CSP; the
// CSP itself is tested apart, in a context that keeps it.
async function newContext(opts = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, baseURL: base, ...opts });
  ctx.setDefaultTimeout(15_000);
  ctx.setDefaultNavigationTimeout(30_000);
  return ctx;
}

async function open(page, p, status = 200) {
  const resp = await page.goto(p, { waitUntil: 'load' });
  assert.ok(resp, `no response for ${p}`);
  assert.equal(resp.status(), status, `GET ${p}: status ${resp.status()}`);
  return resp;
}

async function h1(page) {
  const h = page.locator('h1');
  assert.equal(await h.count(), 1, `${page.url()}: one h1`);
  const text = (await h.innerText()).trim();
  assert.ok(text.length > 0, `${page.url()}: the h1 has text`);
  return text;
}

// Runs axe-core on the page; returns its violations as readable lines.
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object')))
    await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      rulesRun: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html })),
      })),
    };
  }, AXE_TAGS);
  assert.ok(result.rulesRun > 20, `axe-core ran only ${result.rulesRun} rules`);
  return result.violations;
}

const axeFindings = [];  // every violation on every page, printed at the end

async function assertNoAxeViolations(page, label) {
  const violations = await axe(page);
  const lines = [];
  for (const v of violations) {
    for (const n of v.nodes) {
      lines.push(`${label} ${new URL(page.url()).pathname}: ${v.id} (${v.impact}) ${v.help} at ${n.target}: ${n.html.slice(0, 200)}`);
    }
  }
  axeFindings.push(...lines);
  assert.deepEqual(lines, [], `axe-core found ${lines.length} violation(s) on ${label}:\n${lines.join('\n')}`);
}

// "N of M recommendations implemented" on a page, as [N, M].
async function headline(page) {
  const m = (await page.locator('main').innerText()).match(/(\d+) of (\d+) recommendations implemented/);
  assert.ok(m, `${page.url()}: no "N of M recommendations implemented"`);
  return [Number(m[1]), Number(m[2])];
}

async function screenshot(page, name) {
  const dir = process.env.BROWSER_SCREENSHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

// Nothing wider than the viewport: the page does not scroll sideways, and no
// element but a scrolling table region reaches past its right edge.
async function assertFits(page, label) {
  const over = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width)
      out.push(`the page is ${document.documentElement.scrollWidth}px wide in ${width}px`);
    for (const el of document.querySelectorAll('main *')) {
      if (el.closest('.rt-table-wrap')) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 1)
        out.push(`${el.tagName.toLowerCase()}.${el.className} reaches ${Math.round(r.right)}px`);
    }
    return out.slice(0, 5);
  });
  assert.deepEqual(over, [], `${label}: overflows the viewport`);
}

// Every chart's text that shows is at least 12 CSS pixels tall on screen (a
// wide chart squeezed onto a phone shrinks its labels to 7 px). Returns how
// many labels it checked.
async function assertReadableCharts(page, label) {
  const sizes = await page.evaluate(() => [...document.querySelectorAll('main svg.chart text')]
    .filter((t) => t.getClientRects().length > 0)
    .map((t) => ({ text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a })));
  const small = sizes.filter((s) => s.px < 12).map((s) => `"${s.text}" at ${s.px.toFixed(1)} px`);
  assert.deepEqual(small.slice(0, 5), [], `${label}: chart labels too small to read`);
  return sizes.length;
}

async function signIn(page, who, expectPath) {
  await open(page, '/login');
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === expectPath),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  assert.match(await page.locator('header').innerText(), new RegExp(`Signed in as ${who.name}`));
}

async function signOut(page) {
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/'),
    page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
  assert.doesNotMatch(await page.locator('header').innerText(), /Signed in as/);
}

// ---- set-up and tear-down --------------------------------------------------------

before(async () => {
  assert.ok(fs.existsSync(BIN), `no rectrack at ${BIN}`);
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rectrack-browser-'));
  db = process.env.RECTRACK_BROWSER_DB || path.join(tmp, 'browser.db');
  rectrack(['init']);
  rectrack(['import', 'json', path.join(SRC, 'examples/harris/harris-2016.json')]);
  rectrack(['import', 'pfd', path.join(SRC, 'tests/fixtures/pfd-sample.csv')]);
  rectrack(['user', 'add', EDITOR.name, '--role', 'editor', '--owner', EDITOR.owner], EDITOR.password + '\n');
  rectrack(['user', 'add', COORD.name, '--role', 'coordinator'], COORD.password + '\n');
  rectrack(['user', 'add', ADMIN.name, '--role', 'admin'], ADMIN.password + '\n');
  await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });

  // Ids of the things the pages are about, from the JSON API.
  const sources = await api('/api/v1/sources');
  const list = sources.items ?? sources.sources ?? sources;
  ids.sources = list.map((s) => s.slug);
  ids.pfd = ids.sources.find((s) => s !== SOURCE);
  const recs = await api(`/api/v1/sources/${SOURCE}/recommendations?limit=500`);
  const items = recs.items ?? recs.recommendations ?? recs;
  const byRef = (ref) => items.find((r) => r.ref === ref);
  ids.g3 = (byRef('G3').id ?? byRef('G3').recommendation_id);
  ids.g1 = (byRef('G1').id ?? byRef('G1').recommendation_id);
  const owners = await api('/api/v1/owners');
  const orows = owners.items ?? owners.owners ?? owners.rows ?? owners;
  const ho = orows.find((o) => (o.name ?? o.owner) === EDITOR.owner);
  ids.homeOffice = ho.id ?? ho.owner_id;
  const source = await api(`/api/v1/sources/${SOURCE}`);
  const pubs = source.publications ?? [];
  ids.publication = pubs.length ? (pubs.at(-1).id) : undefined;
});

after(async () => {
  await browser?.close().catch(() => {});
  if (server && !server.done) {
    server.proc.kill('SIGTERM');
    await Promise.race([server.exited, sleep(10_000)]);
    if (!server.done) server.proc.kill('SIGKILL');
  }
  if (axeFindings.length) {
    console.log(`# axe-core violations (${axeFindings.length}):`);
    for (const l of axeFindings) console.log(`#   ${l}`);
  }
  if (tmp && !process.env.BROWSER_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`# kept ${tmp}`);
});

// The public pages, one of each type.
function publicPages() {
  return [
    ['home', '/'],
    ['sources list', '/sources'],
    ['source', `/sources/${SOURCE}`],
    ['source (PFD, large)', `/sources/${ids.pfd}`],
    ['recommendation', `/recommendations/${ids.g3}`],
    ['owners', '/owners'],
    ['owner', `/owners/${ids.homeOffice}`],
    ['overdue responses', '/non-responses'],
    ['publication', `/publications/${ids.publication}`],
    ['search results', '/search?q=counter-terrorism'],
    ['search (empty)', '/search'],
    ['sign-in', '/login'],
  ];
}

// The same page types in their other states: filtered, as of a past date, empty,
// and with a filter in error (400, shown in an error summary).
function pageVariants() {
  return [
    ['source, filtered', `/sources/${SOURCE}?status=implemented&overdue=true`, 200],
    ['source, filter in error', `/sources/${SOURCE}?status=bogus`, 400],
    ['source, as of a past date', `/sources/${SOURCE}?as_of=2017-01-01`, 200],
    ['owners, filtered and sorted', '/owners?kind=review&sort=overdue', 200],
    ['owners of one source', `/owners?source=${SOURCE}`, 200],
    ['sources of one kind', '/sources?kind=review', 200],
    ['overdue responses of one kind', '/non-responses?kind=pfd', 200],
    ['overdue responses, kind in error', '/non-responses?kind=nope', 400],
    ['search, no results', '/search?q=zzqqxxnothing', 200],
    ['source that does not exist', '/sources/no-such-source', 404],
  ];
}

// ---- the tests ---------------------------------------------------------------------

describe('rectrack in Chromium', () => {
  test('the examples loaded and the API gave the ids the pages need', () => {
    assert.ok(ids.sources.includes(SOURCE), `sources: ${ids.sources}`);
    assert.ok(ids.pfd, 'the PFD source');
    assert.ok(ids.g3 > 0 && ids.g1 > 0, 'G1 and G3');
    assert.ok(ids.homeOffice > 0, 'the Home Office');
    assert.ok(ids.publication > 0, 'a publication of the Harris review');
  });

  test('every page type loads with status 200 and one h1', async (t) => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    for (const [label, p] of publicPages()) {
      await t.test(label, async () => {
        await open(page, p);
        await h1(page);
        assert.match(await page.title(), /rectrack/, `${label}: the <title> names the service`);
        if (label === 'source') await screenshot(page, 'source');
      });
    }
    await t.test('a page that does not exist: 404 with a page of its own', async () => {
      await open(page, '/recommendations/999999999', 404);
      await h1(page);
      await assertNoAxeViolations(page, '404 page');
    });
    await ctx.close();
  });

  test('the Atom feeds parse as XML', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await open(page, '/');
    for (const p of [`/feeds/sources/${SOURCE}.atom`, `/feeds/owners/${ids.homeOffice}.atom`,
                     '/feeds/non-responses.atom', '/feeds/non-responses/pfd.atom']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get('content-type'), /^application\/atom\+xml/, p);
      const xml = await r.text();
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'application/xml');
        const err = doc.getElementsByTagName('parsererror')[0];
        return {
          error: err ? err.textContent : null,
          root: doc.documentElement.localName,
          ns: doc.documentElement.namespaceURI,
          title: doc.querySelector('feed > title')?.textContent ?? null,
        };
      }, xml);
      assert.equal(parsed.error, null, `${p} is not well-formed XML: ${parsed.error}`);
      assert.equal(parsed.root, 'feed', p);
      assert.equal(parsed.ns, 'http://www.w3.org/2005/Atom', p);
      assert.ok(parsed.title, `${p} has a title`);
    }
    await ctx.close();
  });

  test('axe-core runs in the browser and catches a known violation', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await page.setContent('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>' +
      '<main><h1>t</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>');
    const ids = (await axe(page)).map((v) => v.id).sort();
    assert.deepEqual(ids, ['image-alt', 'label']);
    await ctx.close();
  });

  test('axe-core finds no WCAG 2.2 AA violations on the public pages', async (t) => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    for (const [label, p] of publicPages()) {
      await t.test(label, async () => {
        await open(page, p);
        await assertNoAxeViolations(page, label);
      });
    }
    await ctx.close();
  });

  test('the page types in their other states load and pass axe-core', async (t) => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    for (const [label, p, status] of pageVariants()) {
      await t.test(label, async () => {
        await open(page, p, status);
        await h1(page);
        if (status === 400) {
          assert.match(await page.title(), /^Error:/, 'the title starts "Error:"');
          assert.match(await page.getByRole('alert').innerText(), /There is a problem/);
        }
        await assertNoAxeViolations(page, label);
      });
    }
    await ctx.close();
  });

  test('the public pages fit a 390 px phone screen, and their charts are readable there', async (t) => {
    const ctx = await newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    let charts = 0;
    for (const [label, p] of publicPages()) {
      await t.test(label, async () => {
        await open(page, p);
        await assertFits(page, `${label} at 390 px`);
        charts += await assertReadableCharts(page, `${label} at 390 px`);
      });
    }
    assert.ok(charts >= 14, `only ${charts} chart labels were checked: the charts are missing`);
    // The wide charts are what a wide screen gets, readable there too.
    const wide = await newContext({ viewport: { width: 1280, height: 900 } });
    const wpage = await wide.newPage();
    let wideCharts = 0;
    for (const [label, p] of publicPages()) {
      await open(wpage, p);
      wideCharts += await assertReadableCharts(wpage, `${label} at 1280 px`);
    }
    assert.ok(wideCharts >= 14, `only ${wideCharts} chart labels at 1280 px`);
    await screenshot(page, 'source-390');
    await wide.close();
    await ctx.close();
  });

  test('the owners table shows every column at 1280 px, without scrolling sideways', async () => {
    const ctx = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await open(page, '/owners');
    const wrap = page.locator('.rt-table-wrap').first();
    const [scroll, client] = await wrap.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    assert.ok(scroll <= client + 1, `the owners table is ${scroll}px wide in a ${client}px region`);
    await screenshot(page, 'owners-1280');
    await ctx.close();
  });

  test('pages keep their strict CSP and break none of it', async () => {
    // No bypass here: what a reader's browser does.
    const ctx = await browser.newContext({ baseURL: base });
    const page = await ctx.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${new URL(page.url()).pathname}: console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    for (const [, p] of publicPages()) {
      const resp = await open(page, p);
      const csp = resp.headers()['content-security-policy'] || '';
      assert.match(csp, /script-src 'self'|default-src 'self'|default-src 'none'/, `${p}: CSP ${csp}`);
      // The stylesheet applied (GOV.UK-like layout: not the browser's default font).
      const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
      assert.doesNotMatch(font, /^"?Times/, `${p}: the stylesheet did not apply (font ${font})`);
    }
    await ctx.close();
    assert.deepEqual(problems, []);
  });

  test('an editor signs in and submits an update on G3 for the Home Office', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await open(page, `/sources/${SOURCE}`);
    ids.headlineBefore = await headline(page);
    await open(page, `/publications/${ids.publication}`);
    ids.oldPublicationHeadline = await headline(page);
    await signIn(page, EDITOR, '/my-assignments');
    await h1(page);
    await assertNoAxeViolations(page, "editor's assignments");
    // An editor has no review queue.
    await open(page, '/review', 403);
    await h1(page);
    await assertNoAxeViolations(page, "a 403 page (the editor at the review queue)");
    await open(page, '/my-assignments');
    const link = page.getByRole('link', { name: new RegExp(`Submit an update on ${SOURCE} G3$`) });
    await link.click();
    await page.waitForURL(/\/assignments\/\d+\/submit$/);
    ids.g3Assignment = Number(new URL(page.url()).pathname.split('/')[2]);
    assert.equal(await h1(page), 'Submit an update');
    await assertNoAxeViolations(page, "editor's submit form");
    await page.getByLabel('Implementation', { exact: true }).selectOption('implemented');
    await page.getByLabel('What has been done', { exact: true }).fill(NARRATIVE);
    await page.getByLabel('Evidence', { exact: true }).fill(EVIDENCE);
    await Promise.all([
      page.waitForURL(/submitted=\d+/),
      page.getByRole('button', { name: 'Submit for validation' }).click(),
    ]);
    assert.match(await page.getByRole('status').innerText(), /Update submitted/);
    await assertNoAxeViolations(page, "editor's form after submitting");
    // An error: a date that is not a date, reported in an error summary.
    await page.getByLabel('Date of the update', { exact: true }).fill('31/02/2024');
    await page.getByLabel('What has been done', { exact: true }).fill('Not a real update');
    await page.getByRole('button', { name: 'Submit for validation' }).click();
    await page.waitForLoadState('load');
    assert.match(await page.title(), /^Error:/, 'the title starts "Error:" (GOV.UK pattern)');
    await assertNoAxeViolations(page, "editor's form with an error");

    // Not public until validated.
    const pub = await newContext();
    const p2 = await pub.newPage();
    await open(p2, `/recommendations/${ids.g3}`);
    assert.ok(!(await p2.content()).includes(NARRATIVE), 'a submitted update is not public');
    await pub.close();

    await signOut(page);
    await ctx.close();
  });

  test('a coordinator validates it from the review queue and publishes from the web', async () => {
    assert.ok(ids.g3Assignment, 'the editor submitted first');
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, COORD, '/review');
    assert.equal(await h1(page), 'Review submitted updates');
    await assertNoAxeViolations(page, "coordinator's review queue");
    const item = page.locator('section', { hasText: NARRATIVE });
    assert.equal(await item.count(), 1, 'the editor\'s update is in the queue');
    assert.match(await item.innerText(), /G3/);
    assert.match(await item.innerText(), new RegExp(EDITOR.owner));
    await Promise.all([
      page.waitForURL(/done=validated/),
      item.getByRole('button', { name: /^Validate update \d+$/ }).click(),
    ]);
    assert.match(await page.getByRole('status').innerText(), /validated/);
    assert.equal(await page.locator('section', { hasText: NARRATIVE }).count(), 0, 'gone from the queue');

    // Validated: public at once, listed as a change since the last publication.
    const pub = await newContext();
    const p2 = await pub.newPage();
    await open(p2, `/sources/${SOURCE}`);
    const [n, m] = await headline(p2);
    assert.deepEqual([n, m], [ids.headlineBefore[0] + 1, ids.headlineBefore[1]], 'one more implemented');
    const change = p2.locator('#changes ~ div table tr', { hasText: 'G3' });
    assert.ok(await change.count() >= 1, 'G3 is among the changes since the last official update');
    assert.match(await change.first().innerText(), /Home Office/);
    assert.match(await change.first().innerText(), /implemented/i);
    await pub.close();

    // Publish: from the queue's form, to the source's publish page.
    await page.getByLabel(/^Source/).fill(SOURCE);
    await Promise.all([
      page.waitForURL(new RegExp(`/sources/${SOURCE}/publish$`)),
      page.getByRole('button', { name: 'Continue' }).click(),
    ]);
    assert.equal(await h1(page), 'Publish an official update');
    await assertNoAxeViolations(page, "coordinator's publish form");
    await page.getByLabel('Title', { exact: true }).fill(PUB_TITLE);
    await page.getByLabel(/commentary/).fill('The **lead** is appointed. <b>not bold</b>');
    // A preview first: exactly what will be signed, then publishing that.
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Preview', exact: true }).click(),
    ]);
    await page.getByRole('heading', { name: /Preview: exactly what will be signed/ }).waitFor();
    const preview = await page.locator('pre.rt-preview').innerText();
    assert.match(preview, new RegExp(`^# ${PUB_TITLE}`), 'the preview is the Markdown to be frozen');
    assert.match(preview, /The \*\*lead\*\* is appointed\. \\<b\\>not bold/);
    await assertNoAxeViolations(page, "coordinator's publish preview");
    await Promise.all([
      page.waitForURL(/\/publications\/\d+$/),
      page.getByRole('button', { name: 'Publish and sign' }).click(),
    ]);
    ids.newPublication = Number(new URL(page.url()).pathname.split('/')[2]);
    assert.ok(ids.newPublication > ids.publication, 'a new publication');
    assert.equal(await h1(page), PUB_TITLE);
    await signOut(page);
    await ctx.close();
  });

  test('the public pages show the validated update and the new publication', async () => {
    assert.ok(ids.newPublication, 'the coordinator published first');
    const ctx = await newContext();
    const page = await ctx.newPage();

    await open(page, `/recommendations/${ids.g3}`);
    const ho = page.locator('section', { has: page.getByRole('heading', { name: new RegExp(EDITOR.owner) }) });
    assert.equal(await ho.count(), 1, 'the Home Office section');
    const text = await ho.innerText();
    assert.match(text, /Implemented/i);
    assert.ok(text.includes(NARRATIVE), 'the narrative is public');
    assert.equal(await ho.locator(`a[href="${EVIDENCE}"]`).count(), 1, 'the evidence is a link');
    assert.doesNotMatch(text, /No validated update yet/);

    await open(page, `/sources/${SOURCE}`);
    const pubs = page.locator('h2#publications + ul');
    const link = pubs.getByRole('link', { name: PUB_TITLE });
    assert.equal(await link.count(), 1, 'the new publication is listed on the source page');
    assert.equal(await link.getAttribute('href'), `/publications/${ids.newPublication}`);
    // (The live page as of today still diffs against the publication strictly
    // before today, so the new one, as of today, is not its "since".)
    assert.deepEqual(await headline(page), [ids.headlineBefore[0] + 1, ids.headlineBefore[1]]);
    // G3 is implemented in the list of recommendations.
    const row = page.getByRole('row', { name: /G3/ });
    assert.match(await row.first().innerText(), /Implemented/i);
    await screenshot(page, 'source-after');

    await open(page, `/publications/${ids.newPublication}`);
    assert.equal(await h1(page), PUB_TITLE);
    assert.match(await page.locator('main').innerText(), /G3/);
    assert.deepEqual(await headline(page), [ids.headlineBefore[0] + 1, ids.headlineBefore[1]]);
    // The earlier publication is frozen: it still says what it said.
    await open(page, `/publications/${ids.publication}`);
    assert.deepEqual(await headline(page), ids.oldPublicationHeadline);
    await open(page, `/publications/${ids.newPublication}`);
    await assertNoAxeViolations(page, 'new publication');

    // The source feed carries the validated change.
    const feed = await (await fetch(`${base}/feeds/sources/${SOURCE}.atom`)).text();
    assert.match(feed, /G3/);
    await ctx.close();
  });

  test('without JavaScript an editor signs in and submits an update', async () => {
    const ctx = await newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await signIn(page, EDITOR, '/my-assignments');
    await page.getByRole('link', { name: new RegExp(`Submit an update on ${SOURCE} G1$`) }).click();
    await page.waitForURL(/\/assignments\/\d+\/submit$/);
    await page.getByLabel('Implementation', { exact: true }).selectOption('in_progress');
    await page.getByLabel('What has been done', { exact: true }).fill('Work has started (no-JS test).');
    await Promise.all([
      page.waitForURL(/submitted=\d+/),
      page.getByRole('button', { name: 'Submit for validation' }).click(),
    ]);
    assert.match(await page.getByRole('status').innerText(), /Update submitted/);
    await signOut(page);
    await ctx.close();
  });

  test('a wrong password is refused with an error summary', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await open(page, '/login');
    await page.getByLabel('Name', { exact: true }).fill('nobody-at-all');
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    assert.equal(resp.status(), 401);
    await page.waitForLoadState('load');
    const summary = page.getByRole('alert');
    assert.match(await summary.innerText(), /There is a problem/);
    assert.equal(await summary.getByRole('link').first().getAttribute('href'), '#name');
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'nobody-at-all', 'the name is kept');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not echoed');
    await assertNoAxeViolations(page, 'sign-in with an error');
    await ctx.close();
  });

  test('staff pages ask the public to sign in', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    for (const p of ['/review', '/my-assignments', `/sources/${SOURCE}/publish`]) {
      await open(page, p);
      const u = new URL(page.url());
      assert.equal(u.pathname, '/login', `${p} leads to sign-in`);
      assert.equal(u.searchParams.get('next'), p);
    }
    const r = await ctx.request.post(`/sources/${SOURCE}/publish`, { form: { title: 'x' }, maxRedirects: 0 });
    assert.equal(r.status(), 401, 'POST without a session');
    await ctx.close();
  });

  test('a form posted without its CSRF token is refused with 403', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    // Sign-in itself.
    await open(page, '/login');
    const noToken = await ctx.request.post('/login', {
      form: { name: EDITOR.name, password: EDITOR.password }, maxRedirects: 0,
    });
    assert.equal(noToken.status(), 403, 'POST /login without csrf');
    assert.ok(!(noToken.headers()['set-cookie'] || '').includes('session'), 'no session given');

    await signIn(page, EDITOR, '/my-assignments');
    const form = { version: '1', narrative: 'forged', implementation: 'implemented' };
    let r = await ctx.request.post(`/assignments/${ids.g3Assignment}/submit`, { form, maxRedirects: 0 });
    assert.equal(r.status(), 403, 'submit without csrf');
    r = await ctx.request.post(`/assignments/${ids.g3Assignment}/submit`, {
      form: { ...form, csrf: 'x'.repeat(64) }, maxRedirects: 0,
    });
    assert.equal(r.status(), 403, 'submit with a wrong csrf');
    r = await ctx.request.post('/sign-out', { form: {}, maxRedirects: 0 });
    assert.equal(r.status(), 403, 'sign-out without csrf');
    // The coordinator's actions too.
    await signOut(page);
    await signIn(page, COORD, '/review');
    r = await ctx.request.post(`/sources/${SOURCE}/publish`, { form: { title: 'forged' }, maxRedirects: 0 });
    assert.equal(r.status(), 403, 'publish without csrf');
    r = await ctx.request.post('/updates/1/validate', { form: {}, maxRedirects: 0 });
    assert.equal(r.status(), 403, 'validate without csrf');
    // And nothing was written: the queue still holds the no-JS update only.
    await open(page, '/review');
    assert.ok(!(await page.content()).includes('forged'));
    await signOut(page);
    await ctx.close();
  });

  test('an editor changes their password from the header link; the old one stops working', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, EDITOR, '/my-assignments');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/account/password'),
      page.getByRole('link', { name: 'Change password' }).click(),
    ]);
    assert.equal(await h1(page), 'Change your password');
    await assertNoAxeViolations(page, 'the change-password form');
    // A wrong current password: an error summary linked to the field.
    await page.getByLabel('Current password', { exact: true }).fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('New password again', { exact: true }).fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForLoadState('load');
    assert.match(await page.title(), /^Error:/);
    const summary = page.getByRole('alert');
    assert.equal(await summary.getByRole('link').first().getAttribute('href'), '#current');
    await assertNoAxeViolations(page, 'the change-password form with an error');
    // The right one.
    await page.getByLabel('Current password', { exact: true }).fill(EDITOR.password);
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('New password again', { exact: true }).fill('a brand new passphrase');
    await Promise.all([
      page.waitForURL(/changed=1/),
      page.getByRole('button', { name: 'Change password' }).click(),
    ]);
    assert.match(await page.getByRole('status').innerText(), /Your password has been changed/);
    await signOut(page);
    // The old password is refused; the new one signs in.
    await open(page, '/login');
    await page.getByLabel('Name', { exact: true }).fill(EDITOR.name);
    await page.getByLabel('Password', { exact: true }).fill(EDITOR.password);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    assert.equal(refused.status(), 401);
    await signIn(page, { ...EDITOR, password: 'a brand new passphrase' }, '/my-assignments');
    await signOut(page);
    await ctx.close();
  });

  test('an admin adds an account, changes its role and disables it, at 1280 and 390 px', async () => {
    for (const width of [1280, 390]) {
      const ctx = await newContext({ viewport: { width, height: 900 } });
      const page = await ctx.newPage();
      await signIn(page, ADMIN, '/review');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/accounts'),
        page.getByRole('link', { name: 'Accounts', exact: true }).click(),
      ]);
      assert.equal(await h1(page), 'Accounts');
      await assertNoAxeViolations(page, `accounts (${width} px)`);
      await assertFits(page, `accounts (${width} px)`);
      await screenshot(page, `accounts-${width}`);
      // Everything wrong at once, each problem linked to its field.
      await page.getByLabel('User name', { exact: true }).fill('two words');
      await page.getByLabel('Role', { exact: true }).selectOption('editor');
      await page.getByLabel('First password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Add the account' }).click();
      await page.waitForLoadState('load');
      assert.match(await page.title(), /^Error:/);
      const links = await page.getByRole('alert').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, ['#name', '#owners', '#password']);
      await assertNoAxeViolations(page, `accounts with errors (${width} px)`);
      await assertFits(page, `accounts with errors (${width} px)`);
      // Then right.
      const name = `clerk-${width}`;
      await page.getByLabel('User name', { exact: true }).fill(name);
      await page.getByLabel('Bodies an editor acts for', { exact: true }).fill('Home Office');
      await page.getByLabel('First password', { exact: true }).fill('a clerk passphrase');
      await page.getByLabel('The password again', { exact: true }).fill('a clerk passphrase');
      await Promise.all([
        page.waitForURL(/\/accounts\/\d+\?done=added/),
        page.getByRole('button', { name: 'Add the account' }).click(),
      ]);
      assert.equal(await h1(page), `Account: ${name}`);
      assert.match(await page.getByRole('status').innerText(), /The account was added/);
      await assertNoAxeViolations(page, `an account (${width} px)`);
      await assertFits(page, `an account (${width} px)`);
      await screenshot(page, `account-${width}`);
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByLabel('Bodies an editor acts for', { exact: true }).fill('');
      await Promise.all([
        page.waitForURL(/done=role/),
        page.getByRole('button', { name: 'Change the role' }).click(),
      ]);
      assert.match(await page.locator('.rt-summary-list').innerText(), /Viewer/);
      await Promise.all([
        page.waitForURL(/done=disabled/),
        page.getByRole('button', { name: `Disable ${name}` }).click(),
      ]);
      assert.match(await page.getByRole('status').innerText(), /disabled/);
      await signOut(page);
      await ctx.close();
    }
  });

  test('the staff pages fit a 390 px phone screen and pass axe-core', async (t) => {
    const phone = { name: 'phone-editor', password: 'correct horse battery staple 4' };
    rectrack(['user', 'add', phone.name, '--role', 'editor', '--owner', EDITOR.owner], phone.password + '\n');
    const ctx = await newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    await signIn(page, phone, '/my-assignments');
    const pages = [['my assignments', '/my-assignments'], ['submit', `/assignments/${ids.g3Assignment}/submit`]];
    for (const [label, p] of pages) {
      await t.test(label, async () => {
        await open(page, p);
        await assertFits(page, `${label} at 390 px`);
        await assertNoAxeViolations(page, `${label} at 390 px`);
        await screenshot(page, `staff-${label.replace(/ /g, '-')}-390`);
      });
    }
    await signOut(page);
    await signIn(page, COORD, '/review');
    for (const [label, p] of [['review', '/review'], ['publish', `/sources/${SOURCE}/publish`], ['import', '/imports']]) {
      await t.test(label, async () => {
        await open(page, p);
        await assertFits(page, `${label} at 390 px`);
        await assertNoAxeViolations(page, `${label} at 390 px`);
        await screenshot(page, `staff-${label}-390`);
      });
    }
    await signOut(page);
    await ctx.close();
  });

  test('the office chases on the web: who is due, the outbox, contacts and schedules, at 1280 and 390 px', async () => {
    // One run against an SMTP server that is not there: its messages wait in the outbox.
    rectrack(['owner', 'contact', 'add', 'London Fire Brigade', 'inquiries@lfb.example', '--name', 'Inquiries team']);
    const run = spawnSync(BIN, [...storeArgs(), 'chase', '--smtp', 'smtp://127.0.0.1:1', '--from',
      'office@tracker.example', '--public-url', base], { encoding: 'utf8', cwd: SRC, timeout: 120_000 });
    assert.equal(run.status, 1, `chase with no SMTP server fails: ${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /queued [1-9]\d* messages?/);
    for (const width of [1280, 390]) {
      const ctx = await newContext({ viewport: { width, height: 900 } });
      const page = await ctx.newPage();
      await signIn(page, COORD, '/review');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/chasing'),
        page.getByRole('link', { name: 'Chasing', exact: true }).click(),
      ]);
      assert.equal(await h1(page), 'Chasing');
      const outbox = page.getByRole('region', { name: 'Messages' });
      assert.match(await outbox.innerText(), /inquiries@lfb\.example/);
      await assertNoAxeViolations(page, `chasing (${width} px)`);
      await assertFits(page, `chasing (${width} px)`);
      await screenshot(page, `chasing-${width}`);
      // A message, as it would have gone.
      await Promise.all([
        page.waitForURL(/\/chasing\/outbox\/\d+$/),
        outbox.getByRole('row').filter({ hasText: 'inquiries@lfb.example' }).getByRole('link').first().click(),
      ]);
      assert.match(await page.locator('.rt-summary-list').innerText(), /Failed|Queued/);
      assert.match(await page.getByRole('region', { name: "The message's headers" }).innerText(), /List-Unsubscribe:/);
      assert.match(await page.getByRole('region', { name: "The message's text" }).innerText(), /London Fire Brigade/);
      await assertNoAxeViolations(page, `a message (${width} px)`);
      await assertFits(page, `a message (${width} px)`);
      await screenshot(page, `chasing-message-${width}`);

      // Contacts: every problem at once, then right.
      await open(page, '/chasing/contacts');
      await page.getByLabel('E-mail address', { exact: true }).fill('not an address');
      await page.getByRole('button', { name: 'Add the contact' }).click();
      await page.waitForLoadState('load');
      assert.match(await page.title(), /^Error:/);
      const links = await page.getByRole('alert').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, ['#owner', '#email']);
      await assertNoAxeViolations(page, `contacts with errors (${width} px)`);
      await assertFits(page, `contacts with errors (${width} px)`);
      const email = `clerk-${width}@homeoffice.example`;
      await page.getByLabel('Body', { exact: true }).fill(EDITOR.owner);
      await page.getByLabel('E-mail address', { exact: true }).fill(email);
      await page.getByLabel('Name (optional)', { exact: true }).fill('A clerk');
      await Promise.all([
        page.waitForURL(/added=/),
        page.getByRole('button', { name: 'Add the contact' }).click(),
      ]);
      assert.match(await page.getByRole('status').innerText(), new RegExp(`${email} added`));
      await assertNoAxeViolations(page, `contacts (${width} px)`);
      await assertFits(page, `contacts (${width} px)`);
      await screenshot(page, `chasing-contacts-${width}`);
      await Promise.all([
        page.waitForURL(/removed=/),
        page.getByRole('button', { name: `Remove ${email} from ${EDITOR.owner}` }).click(),
      ]);
      assert.match(await page.getByRole('status').innerText(), new RegExp(`${email} removed`));
      assert.equal(await page.getByRole('cell', { name: new RegExp(email) }).count(), 0);

      // A schedule.
      await open(page, '/chasing/schedules');
      await page.getByLabel('Kind of source', { exact: true }).selectOption('pfd');
      await page.getByLabel('Reminders before a response is due', { exact: true }).fill(`${width === 390 ? 21 : 28}, 7`);
      await page.getByLabel('No: send nothing for this kind').check();
      await page.getByLabel('Yes').check();
      await Promise.all([
        page.waitForURL(/done=pfd/),
        page.getByRole('button', { name: 'Set the schedule' }).click(),
      ]);
      assert.match(await page.getByRole('row', { name: /^pfd/ }).innerText(), new RegExp(`${width === 390 ? 21 : 28}, 7 days before`));
      await assertNoAxeViolations(page, `schedules (${width} px)`);
      await assertFits(page, `schedules (${width} px)`);
      await screenshot(page, `chasing-schedules-${width}`);
      await signOut(page);
      await ctx.close();
    }
  });

  test('the office reads a report on the web: upload, check it beside its text, edit, merge, drop and confirm', async () => {
    const ctx = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    // Not for the public: the upload asks them to sign in.
    await page.goto('/imports');
    assert.equal(new URL(page.url()).pathname, '/login');
    await signIn(page, COORD, '/review');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/imports'),
      page.getByRole('link', { name: 'Import', exact: true }).click(),
    ]);
    assert.equal(await h1(page), 'Import a report');
    await assertNoAxeViolations(page, 'import a report');
    await assertFits(page, 'import a report');
    const upload = async (file, preset, expectDraft) => {
      await open(page, '/imports');
      await page.setInputFiles('#document', file);
      await page.getByLabel(preset === 'upr' ? /UN Universal Periodic Review/ : /A report, review or inquiry/).check();
      await Promise.all([
        expectDraft ? page.waitForURL(/\/imports\/drafts\/\d+$/) : page.waitForLoadState('load'),
        page.getByRole('button', { name: 'Read the report' }).click(),
      ]);
      await page.waitForLoadState('load');
    };
    // What is not a report, and a PDF bomb, each get their error; nothing is kept.
    await upload({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Nothing numbered here.\n') }, 'generic', false);
    assert.match(await page.title(), /^Error:/);
    assert.match(await page.getByRole('alert').innerText(), /notes\.txt: .*recommendation/i);
    const bomb = path.join(tmp, 'pages.pdf');
    const made = spawnSync('python3', [path.join(SRC, 'tests/lib/hostile_pdf.py'), 'pages', bomb], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    await upload(bomb, 'generic', false);
    assert.match(await page.getByRole('alert').innerText(), /pages\.pdf: 2001 pages, more than the limit of 2000/);
    await assertNoAxeViolations(page, 'import a report, with errors');
    assert.match(await page.locator('main').innerText(), /None: every report uploaded/);

    // A real report: its draft, each item's quote marked in the page text.
    await upload(path.join(SRC, 'tests/fixtures/documents/kenya2010.pdf'), 'upr', true);
    const draftUrl = page.url();
    assert.equal(await h1(page), 'Check the draft of kenya2010.pdf');
    const items = () => page.locator('.rt-draft__item').count();
    const total = await items();
    assert.ok(total > 100, `${total} items`);
    assert.ok(await page.locator('.rt-draft__text mark').count() >= total);
    const first = await page.locator('#text-1').inputValue();
    const where = page.locator('#item-1 .rt-draft__where a').first();
    const target = await where.getAttribute('href');
    await where.click();
    assert.equal(new URL(page.url()).hash, target);
    const marked = (await page.locator(`${target}`).innerText()).replace(/\s+/g, ' ');
    assert.ok(first.replace(/\s+/g, ' ').startsWith(marked.slice(0, 40)), `the mark begins item 1's text:\n${marked}\n${first}`);
    assert.ok(await page.locator(`${target}`).evaluate((m) => m.matches(':target')));
    await assertNoAxeViolations(page, 'a draft');
    await assertFits(page, 'a draft');
    await screenshot(page, 'import-draft-1280');

    // A mistake is refused, with every problem named, and nothing is saved.
    await page.locator('#text-1').fill('');
    await page.locator('#ref-2').fill(await page.locator('#ref-3').inputValue());
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.waitForLoadState('load');
    assert.match(await page.title(), /^Error:/);
    const problems = await page.getByRole('alert').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(problems, ['#text-1', '#ref-3']);
    await open(page, draftUrl);
    assert.equal(await page.locator('#text-1').inputValue(), first);

    // An edit, a merge of items 2 and 3, a drop of item 4.
    const second = await page.locator('#text-2').inputValue();
    const third = await page.locator('#text-3').inputValue();
    const fourthRef = await page.locator('#ref-4').inputValue();
    await page.locator('#text-1').fill(first + ' (checked in the browser test)');
    await Promise.all([page.waitForURL(/done=saved/), page.getByRole('button', { name: 'Save the changes' }).click()]);
    assert.match(await page.getByRole('status').innerText(), /Draft saved/);
    await page.getByLabel(/^Item 2:/).check();
    await page.getByLabel(/^Item 3:/).check();
    await Promise.all([page.waitForURL(/done=merged-2/), page.getByRole('button', { name: 'Merge the ticked items' }).click()]);
    assert.equal(await items(), total - 1);
    assert.equal(await page.locator('#text-2').inputValue(), `${second} ${third}`);
    assert.equal(await page.locator('#item-2 .rt-draft__where a').count(), 2, 'the merged item keeps both quotes');
    assert.equal(await page.locator('#ref-3').inputValue(), fourthRef);
    await page.getByLabel(/^Item 3:/).check();
    await Promise.all([page.waitForURL(/done=dropped-1/), page.getByRole('button', { name: 'Drop the ticked items' }).click()]);
    assert.equal(await items(), total - 2);
    assert.notEqual(await page.locator('#ref-3').inputValue(), fourthRef);

    // A second tab's stale form is refused, not applied over the newer draft.
    const other = await ctx.newPage();
    await other.goto(draftUrl);
    await page.locator('#text-1').fill(first + ' (second edit)');
    await Promise.all([page.waitForURL(/done=saved/), page.getByRole('button', { name: 'Save the changes' }).click()]);
    await other.locator('#text-1').fill('stale');
    const stale = await Promise.all([other.waitForNavigation(), other.getByRole('button', { name: 'Save the changes' }).click()]);
    assert.equal(stale[0].status(), 409);
    await other.close();

    // On a phone the draft and the report's text are one column, and fit.
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, draftUrl);
    await assertFits(page, 'a draft at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await open(page, draftUrl);

    // Confirm: a bad date first, then the import, in one ledger event set.
    const slug = 'upr-kenya-2010-browser';
    await page.getByLabel('Short name', { exact: true }).fill(slug);
    await page.getByLabel('Date of the report (optional)', { exact: true }).fill('1 June 2010');
    await page.getByRole('button', { name: 'Confirm and import' }).click();
    await page.waitForLoadState('load');
    assert.deepEqual(await page.getByRole('alert').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#date']);
    await page.getByLabel('Date of the report (optional)', { exact: true }).fill('2010-06-01');
    await Promise.all([
      page.waitForURL((u) => u.pathname === `/sources/${slug}`),
      page.getByRole('button', { name: 'Confirm and import' }).click(),
    ]);
    const recs = await api(`/api/v1/sources/${slug}/recommendations?limit=500`);
    const list = recs.items || recs.recommendations || recs;
    assert.equal(list.length, total - 2);
    assert.match(JSON.stringify(list), /\(second edit\)/);
    assert.match(rectrack(['verify']), /ok|verified/i);
    await open(page, '/imports');
    assert.match(await page.locator('main').innerText(), /None: every report uploaded/);
    await open(page, draftUrl, 404);
    await signOut(page);
    await ctx.close();
  });

  test('the server stops on SIGTERM and exits 0', async () => {
    await browser.close();
    browser = undefined;
    server.proc.kill('SIGTERM');
    const res = await Promise.race([server.exited, sleep(15_000).then(() => 'timeout')]);
    assert.notEqual(res, 'timeout', 'rectrack serve did not stop within 15 s of SIGTERM');
    assert.deepEqual(res, { code: 0, signal: null }, serverLog());
  });
});
