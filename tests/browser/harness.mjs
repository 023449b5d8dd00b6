// Shared by the browser tests: start the loopback server (scripts/serve.py), launch Debian's
// Chromium with WebGPU (SwiftShader when there is no GPU) through playwright-core, and report.
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODEL_DIR = process.env.HEARTH_MODEL_DIR || join(homedir(), '.cache/hearth/models');
export const MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/** Every launch's flags: no sandbox (root in a container), nothing fetched in the background. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic'];

/** Serve `mounts` ({ '/': dir, ... }) on `port`; resolves once it answers. */
export async function startServer(port, mounts, env = {}) {
  const args = [join(ROOT, 'scripts/serve.py'), String(port), ...Object.entries(mounts).map(([p, d]) => `${p}=${d}`)];
  const proc = spawn('python3', args, { stdio: 'inherit', env: { ...process.env, ...env } });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((r) => { proc.once('exit', r); proc.kill(); }),
  };
}

/** The npm package as a web IDE gets it: pkg/ through `npm pack`, unpacked into a temporary
 *  directory (`dir`; `remove()` deletes it). `missing`: files of pkg/ that the tarball left out
 *  (its package.json's `files`), which the package would lack once published or installed. */
export function packedPackage() {
  const tmp = mkdtempSync(join(tmpdir(), 'hearth-pack-'));
  const pkg = join(ROOT, 'pkg');
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: pkg, stdio: ['ignore', 'pipe', 'ignore'] });
  const [{ filename }] = JSON.parse(out.toString());
  execFileSync('tar', ['xzf', join(tmp, filename), '-C', tmp]);
  const list = (root, at = '') => readdirSync(join(root, at), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? list(root, join(at, e.name)) : [join(at, e.name)]));
  const packed = new Set(list(join(tmp, 'package')));
  const remove = () => rmSync(tmp, { recursive: true, force: true });
  return { dir: join(tmp, 'package'), missing: list(pkg).filter((f) => !packed.has(f)), remove };
}

/** Chromium (with WebGPU unless `webgpu: false`), a fresh persistent profile (or `profile`, one
 *  an earlier browser left), so IndexedDB and the service worker survive reloads within one test. */
export async function launch(options = {}, { webgpu = true, args = [], profile = mkdtempSync(join(tmpdir(), 'hearth-chromium-')) } = {}) {
  const context = await chromium.launchPersistentContext(profile, {
    ...options,
    executablePath: CHROMIUM,
    headless: true,
    args: [...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...CHROMIUM_ARGS, ...args],
  });
  context.hearthProfile = profile; // to find the browser's processes (their command lines name it)
  return context;
}

/** A page of `browser` at tests/browser/package.html (the package as `window.hearth`), once ready;
 *  its console errors and a crash are printed. */
export async function openPackagePage(browser, server) {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log('  page:', m.text()));
  page.on('crash', () => console.log('  page: crashed'));
  await page.goto(`${server.url}/tests/browser/package.html`);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

/** Peak resident memory (VmHWM) summed over the processes whose command line contains `pattern`
 *  (a browser's binary, or its profile directory), in bytes: the benchmarks' memory figure. */
export function peakMemory(pattern) {
  let total = 0;
  let pids = [];
  try { pids = execFileSync('pgrep', ['-f', pattern]).toString().trim().split(/\s+/); } catch {}
  for (const p of pids) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {}
  }
  return total;
}

/** mulberry32: a small seeded generator in [0, 1), so a failing round of a randomised test can be replayed. */
/** The benchmark page (benches/browser.html) on `server` with the model at `modelUrl`, ready. */
export async function openBenchPage(browser, server, modelUrl) {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error('  page:', m.text()));
  await page.goto(`${server.url}/benches/browser.html?model=${encodeURIComponent(modelUrl)}`);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The decode step an abort is held to: the longest gap between the pieces a stream gave before
 *  its abort (`times`: performance.now() as each arrived). Measured in the aborted stream itself,
 *  as it ran: on this 2-core machine a step's time moves 2x between requests (other threads, the
 *  browser), so another request's mean step is no yardstick. Each piece here is one token. */
export function streamStep(times) {
  let step = 0;
  for (let i = 1; i < times.length; i++) step = Math.max(step, times[i] - times[i - 1]);
  return step;
}

let failures = 0;
export function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}`);
  if (!ok) failures++;
}

/** Run `body`, always closing what it opened; exit non-zero on any failed check or error. */
export async function run(name, body) {
  const t0 = Date.now();
  const cleanups = [];
  try {
    await body((f) => cleanups.push(f));
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stack || e}`);
    failures++;
  }
  for (const f of cleanups.reverse()) await f().catch(() => {});
  console.log(`${name}: ${failures ? `${failures} failed` : 'all passed'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(failures ? 1 : 0);
}
