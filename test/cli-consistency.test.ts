// The command line's small inconsistencies a user's pass over the installed CLI found, each held:
// every command that reads a contract defaults to ./slo.yaml as validate does; every command's and
// subcommand's --help ends with its exit codes; `sloctl load` takes --no-progress (and --progress)
// as gate, status and drill do; counts agree with their nouns. (Flag values that are numbers but
// out of range: test/cli-flags.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildProgram, COMMAND_EXIT_CODES } from '../src/cli/main.ts';
import { pluralize } from '../src/cli/plural.ts';
import { EXIT } from '../src/errors.ts';
import type { LoadProgress } from '../src/load/types.ts';
import { EXAMPLE_FILE } from './helpers/example-contract.ts';
import { runCli } from './helpers/cli.ts';
import { fakeResult, runLoadCli } from './helpers/load-cli.ts';

/** The command line each case shows in its message, and its arguments without a file. */
const COMMANDS: Array<[usage: string, args: string[]]> = [
  ['sloctl validate', ['validate']],
  ['sloctl gate', ['gate']],
  ['sloctl drill', ['drill']],
  ['sloctl accept', ['accept']],
  ['sloctl status', ['status']],
  ['sloctl generate prometheus', ['generate', 'prometheus']],
  ['sloctl generate grafana', ['generate', 'grafana']],
  ['sloctl generate contract', ['generate', 'contract']],
  ['sloctl convert --to openslo', ['convert', '--to', 'openslo']],
];

describe('the contract argument defaults to ./slo.yaml', () => {
  it('with no ./slo.yaml, each command says where it looked and how to name the file (exit 2)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sloctl-nocontract-'));
    for (const [usage, args] of COMMANDS) {
      const r = await runCli(args, empty);
      assert.equal(r.code, EXIT.USAGE, `${usage}: ${r.stderr}`);
      assert.equal(r.stderr, `sloctl: no contract named, and no slo.yaml in ${empty}: name the contract file (\`${usage} path/to/slo.yaml\`), or run sloctl in the directory that has slo.yaml\n`, usage);
      assert.equal(r.stdout, '', usage);
    }
  });

  it('each command reads ./slo.yaml when it is there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-defaultcontract-'));
    cpSync(EXAMPLE_FILE, join(dir, 'slo.yaml'));
    const rules = await runCli(['generate', 'prometheus'], dir);
    assert.equal(rules.code, EXIT.OK, rules.stderr);
    assert.match(rules.stdout, /sloctl_service: checkout/);
    assert.equal((await runCli(['generate', 'grafana'], dir)).code, EXIT.OK);
    assert.match((await runCli(['generate', 'contract'], dir)).stdout, /"source": "slo\.yaml"/);
    assert.match((await runCli(['convert', '--to', 'openslo'], dir)).stdout, /kind: SLO/);
    assert.match((await runCli(['validate'], dir)).stdout, /✓ slo\.yaml: service "checkout"/);
  });

  it('./slo.yml is read when there is no ./slo.yaml (a monorepo user trial: the hook and `validate DIR` took slo.yml, every command run beside it said "no slo.yaml")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-defaultyml-'));
    cpSync(EXAMPLE_FILE, join(dir, 'slo.yml'));
    assert.match((await runCli(['validate'], dir)).stdout, /✓ slo\.yml: service "checkout"/);
    const rules = await runCli(['generate', 'prometheus'], dir);
    assert.equal(rules.code, EXIT.OK, rules.stderr);
    assert.match((await runCli(['generate', 'contract'], dir)).stdout, /"source": "slo\.yml"/);
  });

  it('at a monorepo root without a contract of its own, the message names the contracts below and `sloctl validate .`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-monoroot-'));
    const { mkdirSync } = await import('node:fs');
    for (const s of ['orders', 'catalog']) mkdirSync(join(dir, 'services', s), { recursive: true });
    cpSync(EXAMPLE_FILE, join(dir, 'services/orders/slo.yaml'));
    cpSync(EXAMPLE_FILE, join(dir, 'services/catalog/slo.yml'));
    const v = await runCli(['validate'], dir);
    assert.equal(v.code, EXIT.USAGE);
    assert.match(v.stderr, /no slo\.yaml in .*; 2 contracts are below it \(services\/catalog\/slo\.yml, services\/orders\/slo\.yaml\): `sloctl validate \.` validates every one/);
    const g = await runCli(['gate'], dir);
    assert.match(g.stderr, /2 contracts are below it \(services\/catalog\/slo\.yml, services\/orders\/slo\.yaml\): name one, e\.g\. `sloctl gate services\/catalog\/slo\.yml`/);
  });

  it('gate and status read ./slo.yaml too: an invalid one stops them before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-defaultinvalid-'));
    writeFileSync(join(dir, 'slo.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x, owner: y }\nobjectives:\n  errors:\n    objective: 150%\n');
    for (const command of ['gate', 'status']) {
      const r = await runCli([command], dir);
      assert.equal(r.code, EXIT.USAGE, r.stderr);
      assert.match(r.stderr, /^slo\.yaml:5:16: error SLO_OBJECTIVE_RANGE/);
      assert.match(r.stderr, /sloctl: slo\.yaml has 1 error: fix it \(`sloctl validate slo\.yaml` lists it\) and run (the gate|status) again\n$/);
    }
  });

  it('convert --from has no default: another tool\'s spec is never ./slo.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-convertfrom-'));
    cpSync(EXAMPLE_FILE, join(dir, 'slo.yaml'));
    const r = await runCli(['convert', '--from', 'openslo'], dir);
    assert.equal(r.code, EXIT.USAGE);
    assert.equal(r.stderr, 'sloctl: --from openslo reads an OpenSLO spec: name the file, e.g. sloctl convert --from openslo slos.yaml\n');
  });

  it('--help shows the file as optional, with its default', async () => {
    for (const command of [['gate'], ['status'], ['generate', 'prometheus'], ['generate', 'grafana'], ['generate', 'contract'], ['convert']]) {
      const r = await runCli([...command, '--help'], process.cwd());
      assert.equal(r.code, EXIT.OK);
      // generate takes several contracts (a monorepo's services), each optional too.
      const file = command[0] === 'generate' ? '\\[files\\.\\.\\.\\]' : '\\[file\\]';
      assert.match(r.stdout, new RegExp(`^Usage: sloctl ${command.join(' ')} \\[options\\] ${file}\\n`), command.join(' '));
      assert.match(r.stdout, /\(default: \.\/slo\.yaml\)/, command.join(' '));
    }
  });
});

describe('--help lists the exit codes', async () => {
  const program = await buildProgram({ exitCode: 0, stdout: () => {}, stderr: () => {}, cwd: process.cwd(), color: false });
  const paths = program.commands.flatMap((c) => [[c.name()], ...c.commands.map((s) => [c.name(), s.name()])]);

  it('finds the subcommands it checks', () => {
    for (const sub of ['generate prometheus', 'generate grafana', 'generate contract', 'faults serve', 'hook install', 'hook uninstall']) {
      assert.ok(paths.some((p) => p.join(' ') === sub), sub);
    }
  });

  it('each command and subcommand ends its help with the codes of its command, in order', async () => {
    for (const path of paths) {
      const r = await runCli([...path, '--help'], process.cwd());
      assert.equal(r.code, EXIT.OK, path.join(' '));
      const codes = /\nExit codes:\n((?: {2}\d+ +.+\n)+)$/.exec(r.stdout);
      assert.ok(codes, `sloctl ${path.join(' ')} --help has no "Exit codes" section at its end:\n${r.stdout}`);
      const listed = codes[1].trimEnd().split('\n').map((line) => Number(line.trim().split(/\s+/)[0]));
      assert.deepEqual(listed, COMMAND_EXIT_CODES[path[0]], path.join(' '));
    }
  });
});

describe('sloctl load --no-progress and --progress', () => {
  /** `sloctl load` with a fake run that reports progress twice, 5 s apart, as the generator would. */
  async function load(flags: string[], isTTY: boolean) {
    let hadCallback = false;
    const r = await runLoadCli(['http://127.0.0.1:9/', '--rate', '10', '--duration', '10s', ...flags], {
      isTTY,
      runLoad: async (o) => {
        hadCallback = o.onProgress !== undefined;
        for (const elapsedMs of [5000, 10_000]) {
          const p: LoadProgress = { elapsedMs, totalMs: 10_000, sent: elapsedMs / 100, completed: elapsedMs / 100, errors: 0, rate: 10, requestedRate: 10, p95: 2, inFlight: 0 };
          o.onProgress?.(p);
        }
        return fakeResult(o);
      },
    }, process.cwd());
    return { ...r, hadCallback };
  }

  it('--no-progress: nothing on stderr, on a terminal or not (it was an unknown option)', async () => {
    for (const isTTY of [true, false]) {
      const r = await load(['--no-progress'], isTTY);
      assert.equal(r.code, EXIT.OK, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(r.hadCallback, false, 'the generator is not asked for progress');
      assert.match(r.stdout, /rate          asked 10\/s/);
    }
  });

  it('without either: the redrawn line on a terminal, plain lines otherwise', async () => {
    assert.match((await load([], true)).stderr, /^\r\[[#-]+\] +50%/);
    assert.match((await load([], false)).stderr, /^load 5\.0s\/10\.0s: sent 50, /);
  });

  it('--progress: the redrawn line even when stderr is not a terminal', async () => {
    const r = await load(['--progress'], false);
    assert.match(r.stderr, /^\r\[[#-]+\] +50%.*\x1b\[K\r\[#+\] 100%/);
    assert.ok(r.stderr.endsWith('\r\x1b[K'), 'cleared before the table');
  });

  it('--help documents both', async () => {
    const r = await runCli(['load', '--help'], process.cwd());
    assert.match(r.stdout, /\n  --progress +redraw the progress line/);
    assert.match(r.stdout, /\n  --no-progress +no progress display/);
  });
});

describe('counts agree with their nouns', () => {
  it('pluralize', () => {
    assert.equal(pluralize(1, 'route'), '1 route');
    assert.equal(pluralize(0, 'route'), '0 routes');
    assert.equal(pluralize(2, 'dependency', 'dependencies'), '2 dependencies');
    assert.equal(pluralize(1, 'dependency', 'dependencies'), '1 dependency');
  });
});

describe('faults serve where it may not listen', () => {
  // Root may listen anywhere: the case runs the built CLI as `nobody` (runuser), which the kernel
  // refuses port 80. It used to end as an internal error (exit 70, "a bug in sloctl").
  const root = process.getuid?.() === 0;
  const runuser = spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error === undefined;
  it('a port below 1024 without privileges is a usage error saying what to pass (exit 2), not exit 70', { skip: !root || !runuser ? `needs root and runuser to run it as nobody (root: ${root}, runuser: ${runuser})` : false }, () => {
    // nobody may not read a checkout under a private directory (a CI clone in `mktemp -d`, 0700):
    // the built CLI (one bundle; faults serve needs nothing from node_modules) runs from a copy it can.
    const copy = mkdtempSync(join(tmpdir(), 'sloctl-nobody-'));
    chmodSync(copy, 0o755);
    for (const part of ['bin', 'dist', 'package.json']) cpSync(fileURLToPath(new URL(`../${part}`, import.meta.url)), join(copy, part), { recursive: true });
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, join(copy, 'bin/sloctl.js'), 'faults', 'serve', '--port', '80'], { encoding: 'utf8', timeout: 20_000, cwd: copy });
    rmSync(copy, { recursive: true, force: true });
    assert.equal(r.status, EXIT.USAGE, r.stderr);
    assert.equal(r.stderr, 'sloctl: --port 80: not allowed to listen on 127.0.0.1:80 (ports below 1024 need privileges); pass a port above 1023, or --port 0 for any free one\n');
  });
});
