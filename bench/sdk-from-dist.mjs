// The benches' servers import sloctl as the npm tarball ships it (`npm run build`): its public
// entry points as package.json's exports name them (the SDK's bundle), anything else from tsc's
// dist/, one ES module per source file; not the TypeScript inlined into the bench's esbuild bundle.
// The two cost differently: inlined, the SDK's module-level bindings are `var`s of one large
// module and unused modules are dropped; from dist/, `sloctl/sdk`'s index loads every module and
// each reads the others through import cells. Measured: everything on 1.014 of the inlined form
// (bench/RESULTS.md, 2026-12-05, "Where the SDK's cost sits").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Runs the package build in `root` (a checkout); throws with its output when it fails. */
export function buildDist(root) {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed in ${root}:\n${r.stdout}${r.stderr}`);
}

/**
 * An esbuild plugin: imports of `<root>/src/**\/*.ts` resolve to what the package runs for them and
 * stay imports: a public entry point (`src/sdk/index.ts` is `sloctl/sdk`) to its package.json
 * export (the SDK's bundle, dist/sdk-bundle/, since 2026-12-07), any other module to tsc's
 * `<root>/dist/**\/*.js`. A checkout from before the bundle has no such exports and gets dist/.
 */
export function sdkFromDist(root) {
  const src = `${resolve(root)}/src/`;
  const dist = `${resolve(root)}/dist/`;
  const exportsMap = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports ?? {};
  /** dist/X.js (tsc's, where the entry's types sit) → the file the export runs. */
  const shipped = new Map();
  for (const target of Object.values(exportsMap)) {
    if (typeof target !== 'object' || typeof target.types !== 'string' || typeof target.default !== 'string') continue;
    shipped.set(resolve(root, target.types.replace(/\.d\.ts$/, '.js')), resolve(root, target.default));
  }
  return {
    name: 'sdk-from-dist',
    setup(build) {
      build.onResolve({ filter: /\/src\/.*\.ts$/ }, (a) => {
        const from = resolve(a.resolveDir, a.path);
        if (!from.startsWith(src)) return undefined;
        const compiled = dist + from.slice(src.length).replace(/\.ts$/, '.js');
        const path = shipped.get(compiled) ?? compiled;
        if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build in ${root} first`);
        return { path, external: true };
      });
    },
  };
}

/**
 * Bundles a bench server script (`entry`, relative to `root`) into `outfile` as the benches run it:
 * esbuild, one ES module, packages external, and sloctl imported from `root`'s dist/ unless
 * `inline` (then its TypeScript is inlined). One definition for bench/sdk-wrk.bench.ts and
 * bench/experiments/ab-bundle.mjs, so an A/B bundle is built exactly as the bench builds its own.
 */
export async function bundleServer(root, entry, outfile, { inline = false } = {}) {
  const esbuild = await import('esbuild');
  await esbuild.build({ absWorkingDir: resolve(root), entryPoints: [entry], outfile, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning', plugins: inline ? [] : [sdkFromDist(root)] });
}
