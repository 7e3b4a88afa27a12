#!/usr/bin/env node
// `npm run build`: what the package ships, in a fresh dist/.
//
// - The library and the SDK (`sloctl`, `sloctl/sdk`, `sloctl/sdk/*`): tsc (tsconfig.build.json),
//   one ESM module per source file with .d.ts declarations and source maps, importing their
//   dependencies (yaml, zod, prom-client, the PromQL grammar) from node_modules.
// - The SDK's entry points again, as what `sloctl/sdk*` runs: one ES module, an esbuild bundle,
//   in dist/sdk-bundle/ (below, with why: tsc's ~60 modules cost a service on every request).
// - The command line (bin/sloctl.js runs dist/cli/main.js): one esbuild bundle, split per
//   command, with the modules it needs inlined. Measured: a module graph of ~300 files (zod alone
//   is 226) costs `sloctl validate` about 0.15 s of resolving and loading on every commit's hook;
//   the bundle loads a few files (bench/RESULTS.md, "Start-up"). It also means the packages only
//   the CLI uses (commander, undici, Babel's parser) are not installed for SDK users.
//   The licences of what it inlines are written to dist/cli/THIRD-PARTY-LICENSES.txt.
//
// `npm test`, `npm run demo` and `npm pack` (prepack) run it first, so what they exercise is what
// users install.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const fail = (what) => {
  console.error(`sloctl build: ${what} failed (see above); dist/ is incomplete`);
  process.exit(1);
};

rmSync(join(root, 'dist'), { recursive: true, force: true });

const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
if (spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' }).status !== 0) fail('tsc');

const esbuild = await import('esbuild');

/**
 * zod's namespace re-exports every locale (`z.locales`, about 300 KB of the 600 KB zod puts in
 * the bundle), and the CLI speaks English only: the locale index is replaced by one that exports
 * `en`, which zod installs by default. Half of zod's share of what `sloctl validate` must compile
 * at every start (bench/RESULTS.md, "Start-up").
 */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";\n', resolveDir: join(root, 'node_modules/zod/v4/locales'), loader: 'js' }));
  },
};
let result;
try {
  result = await esbuild.build({
    absWorkingDir: root,
    // contract-thread: the SDK's contract parser thread (src/sdk/contract-thread.ts starts it from
    // here): bundled, it starts in a third of the time the ~250 files of dist/contract and zod take
    // to resolve and load, and it shares the CLI's English-only zod and its licence notice.
    entryPoints: { main: 'src/cli/main.ts', worker: 'src/load/worker.ts', 'contract-thread': 'src/sdk/contract-thread-worker.ts' },
    outdir: 'dist/cli',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Optional peer dependency, loaded by name only with --go-module-path (src/scan/go-parser.ts).
    external: ['web-tree-sitter'],
    // The CommonJS packages inlined (undici, yaml, Babel's parser) call require() for Node's own modules.
    banner: { js: "import { createRequire as __sloctlRequire } from 'node:module';\nconst require = __sloctlRequire(import.meta.url);" },
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [englishOnlyZod],
  });
} catch {
  fail('esbuild');
}

// Every package the bundle inlines, with its licence text.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m) continue;
  const dir = join(root, input.slice(0, m.index + m[0].length));
  if (packages.has(m[1])) continue;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licence = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  packages.set(m[1], { version: pkg.version, license: pkg.license, text: licence ? readFileSync(join(dir, licence), 'utf8').trim() : '(no licence file in the package)' });
}
const notice = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([name, p]) => `${name}@${p.version} (${p.license})\n\n${p.text}\n`);
writeFileSync(join(root, 'dist/cli/THIRD-PARTY-LICENSES.txt'), `The sloctl command line (dist/cli/) includes code from these packages:\n\n${notice.join(`\n${'-'.repeat(72)}\n\n`)}`);
if (!existsSync(join(root, 'dist/cli/main.js'))) fail('the CLI bundle');

// The SDK's public entry points (`sloctl/sdk`, `sloctl/sdk/fastify`, ...: package.json's exports
// whose types are in dist/sdk/) run from one ES module, dist/sdk-bundle/sdk-all.js, an esbuild
// bundle of all of them with packages external, and each entry point is a file that re-exports
// its names from it (dist/sdk-bundle/fastify.js: `export { fastify$default as default, ... }`).
// One module, not tsc's ~60 of dist/sdk/ nor esbuild's split chunks: across modules every use of
// an imported binding goes through its module's import cell, and the request path (the framework
// plugin, the recorder, the limiter, the route table: six modules) crosses them throughout. In one
// module they are the module's own bindings. Measured on the Fastify hello-world with everything
// on (bench/RESULTS.md, 2026-12-07, ab-pair): one module 0.973 of tsc's modules' CPU a request,
// split chunks 0.997. One copy of every module whatever entry points a service imports (the
// plugins share the SDK's symbols and classes). The .d.ts stay tsc's (dist/sdk/), which
// package.json's `types` conditions name. Flat, one level under dist/, as the contract thread's
// worker file is found from the code's own URL (../cli/contract-thread.js).
const exportsMap = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports;
const sdkEntries = {};
for (const [key, target] of Object.entries(exportsMap)) {
  const types = typeof target === 'object' ? target.types : undefined;
  if (types === undefined || !types.startsWith('./dist/sdk/')) continue;
  const name = key === './sdk' ? 'sdk' : key.slice('./sdk/'.length);
  const wanted = `./dist/sdk-bundle/${name}.js`;
  if (target.default !== wanted || !/^[a-z]+$/.test(name)) {
    console.error(`sloctl build: package.json exports["${key}"].default is ${target.default}; the SDK's entry points run from the SDK's bundle: set it to ${wanted}`);
    process.exit(1);
  }
  sdkEntries[name] = types.replace(/^\.\/dist\//, './src/').replace(/\.d\.ts$/, '.ts');
  // The SDK's declarations name Node's types (IncomingMessage, ServerResponse, Buffer, NodeJS.*).
  // A TypeScript project whose `types` does not list node (TypeScript 7's default is `[]`) has
  // none of them unless a declaration file asks for @types/node: each SDK entry point does, as
  // undici's and DefinitelyTyped's declarations do. @types/node is an optional peer dependency
  // (package.json): TypeScript projects install it, as for their own Node code; JavaScript
  // projects and production installs do not download its 2.4 MB. tsc no longer writes such a
  // directive itself (TypeScript 5.5), so it is added here, to every SDK entry point package.json
  // exports. `sloctl` (the contract API) names none of Node's types and gets none: it type-checks
  // without @types/node.
  const declarations = join(root, types);
  writeFileSync(declarations, `/// <reference types="node" />\n${readFileSync(declarations, 'utf8')}`);
}
try {
  // Each entry point's run-time export names, from esbuild's own reading of it (no code run).
  const names = {};
  const probe = await esbuild.build({ absWorkingDir: root, entryPoints: sdkEntries, outdir: 'dist/sdk-bundle', bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', write: false, metafile: true, logLevel: 'warning' });
  for (const out of Object.values(probe.metafile.outputs)) {
    const entry = Object.entries(sdkEntries).find(([, src]) => out.entryPoint === src.slice(2));
    if (entry !== undefined) names[entry[0]] = out.exports;
  }
  const all = Object.entries(names).map(([entry, list]) => `export { ${list.map((n) => `${n} as ${entry}$${n}`).join(', ')} } from ${JSON.stringify(sdkEntries[entry])};`);
  await esbuild.build({
    absWorkingDir: root,
    stdin: { contents: all.join('\n'), resolveDir: root, sourcefile: 'sdk-all.js', loader: 'js' },
    outfile: 'dist/sdk-bundle/sdk-all.js',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const [entry, list] of Object.entries(names)) {
    writeFileSync(join(root, `dist/sdk-bundle/${entry}.js`), `// ${entry === 'sdk' ? 'sloctl/sdk' : `sloctl/sdk/${entry}`}: its names from the SDK's one module (scripts/build.mjs says why).\nexport { ${list.map((n) => `${entry}$${n} as ${n}`).join(', ')} } from './sdk-all.js';\n`);
  }
  if (Object.keys(names).length !== Object.keys(sdkEntries).length) throw new Error(`entry points without exports: ${Object.keys(sdkEntries).filter((e) => !names[e]).join(', ')}`);
} catch (err) {
  console.error(err);
  fail('esbuild (the SDK)');
}

// What the tarball leaves out of tsc's tree: the .js (and maps) that nothing a user runs reaches.
// `sloctl` (dist/index.js, the contract API) runs from tsc's modules, the SDK from dist/sdk-bundle/
// and the command line from dist/cli/; tsc still writes every module (the .d.ts need the tree, and
// tests import a few of dist/sdk/), ~74 of 109 .js files outside the bundles that no entry point
// reaches, ~1.5 MB with their maps, against a 25 MiB install budget (test/package.test.ts). npm
// honours a .npmignore below the package root even with package.json's `files`.
try {
  const lib = await esbuild.build({ absWorkingDir: root, entryPoints: ['dist/index.js'], bundle: true, format: 'esm', platform: 'node', packages: 'external', write: false, metafile: true, logLevel: 'warning' });
  const reached = new Set(Object.keys(lib.metafile.inputs));
  const unreached = [];
  const walk = (dir) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (rel !== 'dist/cli' && rel !== 'dist/sdk-bundle') walk(rel);
      } else if (e.name.endsWith('.js') && !reached.has(rel)) unreached.push(rel.slice('dist'.length));
    }
  };
  walk('dist');
  // A file read by URL at run time (new URL('./x.js', import.meta.url)) would not show in the
  // metafile: none of the reached modules does that (checked here; createRequire of a package is fine).
  for (const f of reached) if (f.startsWith('dist/') && /new URL\([^)]*import\.meta\.url/.test(readFileSync(join(root, f), 'utf8'))) throw new Error(`${f} reads a file by URL: check that what it reads is packed, then allow it here`);
  writeFileSync(join(root, 'dist/.npmignore'), `# Written by scripts/build.mjs: tsc's modules no entry point reaches (see there).\n${unreached.flatMap((f) => [f, `${f}.map`]).join('\n')}\n`);
} catch (err) {
  console.error(err);
  fail('the packed file list');
}
