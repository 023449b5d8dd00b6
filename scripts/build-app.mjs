// Assemble the PWA into OUT (default dist/): index.html, the bundled app (CodeMirror + www/),
// styles, manifest, icons, the npm package under pkg/ (built before this runs), and a service
// worker whose precache list and version are the files' names and their hash.
// Usage: node scripts/build-app.mjs [OUT]   (make app / make build-app run it)
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relaxedSimd } from '../pkg-config/local.js'; // the service worker runs the package's probe

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] || join(root, 'dist');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'www/app.js')],
  bundle: true,
  format: 'esm',
  minify: !process.env.HEARTH_DEBUG,
  target: 'es2022',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  // The package stays its own files: its Worker and wasm are found next to its index.js.
  plugins: [{ name: 'pkg-external', setup(b) { b.onResolve({ filter: /^\.\/pkg\// }, (a) => ({ path: a.path, external: true })); } }],
});
cpSync(join(root, 'index.html'), join(out, 'index.html'));
for (const f of ['app.css', 'manifest.webmanifest']) cpSync(join(root, 'www', f), join(out, f));
cpSync(join(root, 'www/icons'), join(out, 'icons'), { recursive: true });

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name !== 'sw.js' && !['package.json', 'README.md', 'index.d.ts'].includes(name)) files.push(relative(out, p));
  }
})(out);
const hash = createHash('sha256');
for (const f of files) hash.update(f).update(readFileSync(join(out, f)));
const version = hash.digest('hex').slice(0, 12);
const assets = ['./', ...files.map((f) => `./${f}`)];
const sw = readFileSync(join(root, 'www/sw.js'), 'utf8').replace('__VERSION__', version).replace('__ASSETS__', JSON.stringify(assets, null, 2))
  .replace('__RELAXED_SIMD__', relaxedSimd.toString());
writeFileSync(join(out, 'sw.js'), sw);
console.error(`built ${relative(root, out) || out}: ${files.length} files, shell version ${version}`);
