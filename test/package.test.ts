// The package as users get it: `npm pack` (which builds dist/ through prepack), the tarball
// installed with dev dependencies omitted into a fresh project, then every public entry point used
// the way a user would: the bin, the SDK from plain ESM and CommonJS servers, the declarations from
// TypeScript with three module resolutions, and the packaging linters (publint, arethetypeswrong).
//
// Needs the npm registry for the dependencies (as `npm ci` does); cached after the first run.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GO_INSTALL, goEnv } from './helpers/go-build.ts';
import { requireBinary } from './helpers/prometheus.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test/fixtures/package');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
  exports: Record<string, string | { types?: string }>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
/** The install budget of issue 14: node_modules of an empty project after installing the tarball. */
const MAX_INSTALL_BYTES = 25 * 1024 * 1024;

let work: string;
let app: string;
let tarball: string;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...env }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

/** Disk usage as `du` counts it (allocated blocks), so the budget matches what users see. */
function diskUsage(path: string): number {
  const st = lstatSync(path);
  let total = st.blocks * 512;
  if (st.isDirectory()) for (const e of readdirSync(path)) total += diskUsage(join(path, e));
  return total;
}

/** A version of a dev dependency that npm's cache already holds (the repository's own). */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

describe('the package as users install it', { timeout: 600_000 }, () => {
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'sloctl-package-'));
    // prepack builds dist/ from the sources, as `npm publish` would.
    const packed = ok(run('npm', ['pack', '--pack-destination', work], root), 'npm pack');
    tarball = join(work, packed.trim().split('\n').at(-1)!);
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2));
    ok(run('npm', ['install', '--omit=dev', tarball], app), 'npm install --omit=dev <tarball>');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`installs into an empty project in at most ${MAX_INSTALL_BYTES / 1024 / 1024} MiB of node_modules`, () => {
    const bytes = diskUsage(join(app, 'node_modules'));
    console.log(`# node_modules after installing the tarball: ${(bytes / 1024 / 1024).toFixed(1)} MiB on disk`);
    assert.ok(bytes <= MAX_INSTALL_BYTES, `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
    // No dev dependency came along (tsx was what broke the bin before).
    assert.throws(() => lstatSync(join(app, 'node_modules/tsx')), /ENOENT/);
    assert.throws(() => lstatSync(join(app, 'node_modules/typescript')), /ENOENT/);
  });

  it('npx sloctl --version and -v print the version', () => {
    assert.equal(ok(run('npx', ['--no-install', 'sloctl', '--version'], app), 'sloctl --version').trim(), pkg.version);
    assert.equal(ok(run('npx', ['--no-install', 'sloctl', '-v'], app), 'sloctl -v').trim(), pkg.version);
  });

  it('npx sloctl validate checks the example contracts the package ships (the ones its hints point at) and fails a broken contract with exit 1', () => {
    for (const example of ['checkout', 'express-minimal']) {
      const out = ok(run('npx', ['--no-install', 'sloctl', 'validate', join(app, 'node_modules/sloctl/examples', example, 'slo.yaml')], app), `sloctl validate the shipped ${example} example`);
      assert.match(out, /valid: 1 file, 0 errors/);
    }
    writeFileSync(join(app, 'slo.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x, owner: y }\nroutes: []\nobjectives: { latency: [{ name: l, threshold: 10parsecs, objective: 99% }] }\n');
    const bad = run('npx', ['--no-install', 'sloctl', 'validate'], app);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /slo\.yaml:\d+:\d+/);
  });

  it("the library entry (`import 'sloctl'`, `require('sloctl')`) runs: the package leaves out tsc's modules it does not reach (dist/.npmignore)", () => {
    const example = join(app, 'node_modules/sloctl/examples/checkout/slo.yaml');
    const script = `const s = await import('sloctl'); const l = s.parseContract(require('node:fs').readFileSync(${JSON.stringify(example)}, 'utf8'), 'slo.yaml'); console.log(JSON.stringify({ service: l.contract?.service.name, diagnostics: l.diagnostics.length, metrics: s.requiredMetrics(l.contract).length, schema: typeof s.contractJsonSchema }));`;
    const esm = JSON.parse(ok(run(process.execPath, ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/'); ${script}`], app), 'import sloctl'));
    assert.deepEqual({ ...esm, metrics: esm.metrics > 0 }, { service: 'checkout', diagnostics: 0, metrics: true, schema: 'function' });
    const cjs = ok(run(process.execPath, ['-e', "console.log(typeof require('sloctl').parseContract)"], app), 'require sloctl');
    assert.equal(cjs.trim(), 'function');
    // What was left out is left out: a module no entry point reaches (the fault proxy's), its declarations kept.
    assert.equal(existsSync(join(app, 'node_modules/sloctl/dist/faults/connection.js')), false);
    assert.equal(existsSync(join(app, 'node_modules/sloctl/dist/faults/connection.d.ts')), true);
  });

  it('the files the installed README links to are in the package (the SDK reference: src/sdk/README.md)', () => {
    const installed = join(app, 'node_modules/sloctl');
    const links = [...readFileSync(join(installed, 'README.md'), 'utf8').matchAll(/\]\(([^)#:\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]);
    assert.ok(links.includes('src/sdk/README.md'), 'the README links to the SDK reference');
    // Measurements and the example's mutant switches stay in the repository (bench/RESULTS.md is 1,600 lines of evidence, not docs).
    const repositoryOnly = new Set(['bench/RESULTS.md', 'examples/checkout/README.md']);
    const missing = [...new Set(links)].filter((l) => !repositoryOnly.has(l) && !existsSync(join(installed, l)));
    assert.deepEqual(missing, [], 'links in the installed README.md that point at files the package does not ship');
  });

  it('the Go code check says what to install when its optional runtime is missing', () => {
    const r = run('npx', ['--no-install', 'sloctl', 'validate', '--go-module-path', '.', join(root, 'examples/checkout/slo.yaml')], app);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /npm install --save-dev web-tree-sitter/);
  });

  it('ships the Go middleware (go/), and a Go service builds against the installed copy in GOPATH mode', (t) => {
    const installed = join(app, 'node_modules/sloctl/go');
    for (const f of ['go.mod', 'README.md', 'sloctl/middleware.go', 'sloctlgin/gin.go', 'sloctlecho/echo.go', 'example/middleware/main.go']) assert.ok(existsSync(join(installed, f)), `node_modules/sloctl/go/${f}`);
    const go = requireBinary(t, 'go', GO_INSTALL);
    if (!go) return;
    // As the README says: the installed go/ at its import path, Debian's client_golang beside it.
    const gopath = join(work, 'gopath');
    mkdirSync(join(gopath, 'src/github.com/sloctl'), { recursive: true });
    symlinkSync(installed, join(gopath, 'src/github.com/sloctl/sloctl-go'));
    const built = spawnSync(go, ['build', '-o', join(work, 'orders'), '.'], { cwd: join(installed, 'example/middleware'), encoding: 'utf8', env: { ...goEnv(work), GOPATH: `/usr/share/gocode:${gopath}` } });
    assert.equal(built.status, 0, built.stderr);
    assert.ok(existsSync(join(work, 'orders')));
  });

  it('an unknown flag exits 2 with a one-line pointer to --help', () => {
    const r = run('npx', ['--no-install', 'sloctl', 'validate', '--no-such-flag'], app);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option '--no-such-flag'/);
  });

  describe('servers that instrument Express from the package', () => {
    /** Starts a fixture server in the app; resolves when it prints the port it listens on. */
    const startServer = async (file: string) => {
      const child = spawn(process.execPath, [file], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /listening (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`${file} exited ${code}: ${stderr}`)));
      });
      return { child, port };
    };

    before(() => {
      ok(run('npm', ['install', `express@${installedVersion('express')}`], app), 'npm install express');
      for (const f of ['slo.yaml', 'server.mjs', 'server.cjs']) copyFileSync(join(fixtures, f), join(app, f));
    });

    for (const file of ['server.mjs', 'server.cjs']) {
      it(`${file} serves /healthz (UP) and /metrics with the SDK's series`, async () => {
        const { child, port } = await startServer(file);
        try {
          const base = `http://127.0.0.1:${port}`;
          assert.equal((await fetch(`${base}/hello`)).status, 200);
          const health = await fetch(`${base}/healthz`);
          assert.equal(health.status, 200);
          assert.equal(((await health.json()) as { status: string }).status, 'UP');
          const metrics = await (await fetch(`${base}/metrics`)).text();
          assert.match(metrics, /http_server_requests_total\{[^}]*route="\/hello"/);
          assert.match(metrics, /http_server_request_duration_seconds_bucket\{/);
          if (file === 'server.mjs') {
            // The load generator's worker threads start from the package too (dist/cli/worker.js).
            const load = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
              const l = spawn('npx', ['--no-install', 'sloctl', 'load', `${base}/hello`, '--rate', '100', '--duration', '1s', '--workers', '2', '--json'], { cwd: app });
              let stdout = '';
              let err = '';
              l.stdout.on('data', (d: Buffer) => (stdout += d));
              l.stderr.on('data', (d: Buffer) => (err += d));
              l.on('close', (status) => resolve({ status, stdout, stderr: err }));
            });
            assert.ok(load.status === 0 || load.status === 4, `sloctl load exited ${load.status}: ${load.stderr}`);
            const result = JSON.parse(load.stdout) as { completed: number; statuses: Record<string, number> };
            assert.ok(result.completed >= 90, `completed ${result.completed}`);
          }
        } finally {
          child.kill();
        }
      });
    }

    // Last: it replaces Express 5 in the app. The peer range says ^4.17 || ^5; npm refuses (ERESOLVE) what it excludes.
    it('server.cjs on Express 4: installs without --legacy-peer-deps, routes by template', async () => {
      ok(run('npm', ['install', 'express@4'], app), 'npm install express@4');
      const { child, port } = await startServer('server.cjs');
      try {
        const base = `http://127.0.0.1:${port}`;
        assert.equal((await fetch(`${base}/hello`)).status, 200);
        // Express 4's app.router is a getter that throws: the mount's template is read from app._router.
        assert.equal((await fetch(`${base}/api/items/7`)).status, 200);
        assert.equal((await fetch(`${base}/api/items/boom`)).status, 500);
        assert.equal((await fetch(`${base}/hello`)).status, 200, 'still serving');
        const metrics = await (await fetch(`${base}/metrics`)).text();
        assert.match(metrics, /http_server_requests_total\{[^}]*route="\/hello"/);
        assert.match(metrics, /http_server_requests_total\{[^}]*route="\/api\/items\/:id",status_class="2xx"[^}]*\} 1/);
        assert.match(metrics, /http_server_requests_total\{[^}]*route="\/api\/items\/:id",status_class="5xx"[^}]*\} 1/);
        const version = JSON.parse(readFileSync(join(app, 'node_modules/express/package.json'), 'utf8')) as { version: string };
        assert.match(version.version, /^4\./);
      } finally {
        child.kill();
        // The typed tests below check against the Express the repository builds with.
        ok(run('npm', ['install', `express@${installedVersion('express')}`], app), 'npm install express (back to 5)');
      }
    });
  });

  describe('TypeScript users get the declarations', () => {
    const tsc = (project: string) => run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], app);
    before(() => {
      ok(run('npm', ['install', `@types/node@${installedVersion('@types/node')}`, `@types/express@${installedVersion('@types/express')}`], app), 'npm install @types');
      for (const f of ['typed.mts', 'typed.cts', 'typed-wrong.mts']) copyFileSync(join(fixtures, f), join(app, f));
      const base = { strict: true, noEmit: true, skipLibCheck: false, types: ['node'] };
      const configs: Record<string, object> = {
        'tsconfig.nodenext.json': { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['typed.mts', 'typed.cts'] },
        'tsconfig.node16.json': { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['typed.mts'] },
        'tsconfig.bundler.json': { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files: ['typed.mts'] },
        'tsconfig.wrong.json': { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['typed-wrong.mts'] },
      };
      for (const [name, config] of Object.entries(configs)) writeFileSync(join(app, name), JSON.stringify(config, null, 2));
    });

    for (const resolution of ['nodenext', 'node16', 'bundler']) {
      it(`type-checks with moduleResolution ${resolution} (skipLibCheck off)`, () => {
        const r = tsc(`tsconfig.${resolution}.json`);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      });
    }

    // TypeScript 7's default `types` is []: a project has Node's types only when a declaration file
    // it reads asks for @types/node (installed here, as TypeScript projects have it). Every entry
    // point package.json exports, imported from a project listing no types, in two programs (each
    // type-checks zod's and prom-client's declarations again: 2-3 s): the library alone, which names
    // none of Node's types and must not pull them in; the SDK's entry points together (the build
    // gives each the directive). Not the Express adapter: @types/express asks for @types/node itself
    // (DefinitelyTyped's packages do), which would hide a missing directive; typed.mts checks it.
    it("type-checks every public entry point with `types: []` (TypeScript 7's default) and skipLibCheck off", () => {
      const entries = Object.entries(pkg.exports)
        .filter(([, target]) => typeof target === 'object' && target.types !== undefined)
        .map(([key]) => (key === '.' ? 'sloctl' : `sloctl/${key.slice(2)}`));
      const library = entries.filter((e) => !e.startsWith('sloctl/sdk'));
      const sdk = entries.filter((e) => e.startsWith('sloctl/sdk') && e !== 'sloctl/sdk/express');
      assert.deepEqual(library, ['sloctl']);
      assert.ok(sdk.includes('sloctl/sdk') && sdk.includes('sloctl/sdk/http') && sdk.length === entries.length - 2, sdk.join(', '));
      // A framework's types come from the user's project: an adapter of a framework this app does not
      // install (fastify, koa, hono: optional peers) can only fail to find that framework.
      const absent = Object.keys(pkg.peerDependenciesMeta).filter((name) => !existsSync(join(app, 'node_modules', name)));
      const nodeTypes = JSON.parse(readFileSync(join(app, 'node_modules/@types/node/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const [group, list] of Object.entries({ library, sdk })) {
        writeFileSync(join(app, `entries-${group}.mts`), `${list.map((e, i) => `import * as entry${i} from '${e}';`).join('\n')}\nexport { ${list.map((_, i) => `entry${i}`).join(', ')} };\n`);
        const config = { compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', types: [] }, files: [`entries-${group}.mts`] };
        writeFileSync(join(app, `tsconfig.entries-${group}.json`), JSON.stringify(config, null, 2));
        const r = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.entries-${group}.json`, '--explainFiles'], app);
        const lines = r.stdout.split('\n');
        const errors = lines.filter((line) => / error TS\d+:/.test(line));
        const unexpected = errors.filter((line) => !absent.includes(/ error TS2307: Cannot find module '([^']+)'/.exec(line)?.[1] ?? ''));
        assert.deepEqual(unexpected, [], `${group} entry points (${list.join(', ')}) with types []`);
        assert.equal(r.stderr, '');
        assert.equal(r.status === 0, errors.length === 0, `tsc exited ${r.status} with ${errors.length} errors`);
        // Why @types/node is in the program (--explainFiles): only sloctl's declarations may bring it,
        // or this check would pass without them asking for it (@types/node's own dependency,
        // undici-types, asks for it back).
        const at = lines.findIndex((line) => /(^|\/)node_modules\/@types\/node\/index\.d\.ts$/.test(line));
        const reasons: string[] = [];
        for (let i = at + 1; at >= 0 && i < lines.length && /^\s/.test(lines[i]); i++) reasons.push(lines[i].trim());
        if (group === 'library') assert.equal(at, -1, `@types/node is in the program of \`import 'sloctl'\`: ${reasons.join('; ')}`);
        else {
          assert.ok(reasons.length > 0, 'the SDK entry points do not bring @types/node');
          const own = Object.keys(nodeTypes.dependencies ?? {});
          const others = reasons.filter((why) => !why.startsWith("Type library referenced via 'node' from file 'node_modules/sloctl/dist/sdk/") && !own.some((dep) => why.startsWith(`Type library referenced via 'node' from file 'node_modules/${dep}/`)));
          assert.deepEqual(others, [], 'what else brings @types/node hides whether the SDK asks for it');
        }
      }
    });

    it('rejects a wrong option type, so the check reads real declarations', () => {
      const r = tsc('tsconfig.wrong.json');
      assert.notEqual(r.status, 0);
      assert.match(r.stdout, /typed-wrong\.mts\(3,\d+\): error TS2322: Type 'string' is not assignable to type 'boolean/);
    });
  });

  it('publint finds nothing to fix in the tarball', () => {
    const r = run(process.execPath, [join(root, 'node_modules/publint/src/cli.js'), 'run', tarball, '--strict'], root);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /All good/);
  });

  it('arethetypeswrong finds no problem for Node 16+ and bundlers', () => {
    // Profile node16: CommonJS and ESM resolution of Node >= 16 and bundlers. CommonJS users load
    // this ESM-only package with require() (Node >= 20.19, the engines range, does it natively);
    // the rule that flags that is the one ignored, and the CJS server above proves it works.
    const r = run(process.execPath, [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table'], root);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
