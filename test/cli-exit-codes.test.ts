// One exit-code policy for every command (src/errors.ts): 1 is an answer ("no"), 2 "could not run
// on that input", 3 "the target failed", 70 a bug. The table below runs every command against an
// invalid contract, a bad flag and an unreachable target (where the command has one), and checks
// each code against the list the command's --help prints.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMAND_EXIT_CODES, COMMAND_NAMES } from '../src/cli/main.ts';
import { runCli } from './helpers/cli.ts';
import { refusedPort } from './helpers/refused-port.ts';
import { EXIT, EXIT_FOR_CODE } from '../src/errors.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = join(root, 'examples/checkout/slo.yaml');


function cli(args: string[], io: { stdout?: (s: string) => void } = {}) {
  return runCli(args, dir, io);
}

// Set up before the table is built: the rows name these paths and the URL.
const dir = mkdtempSync(join(tmpdir(), 'sloctl-exit-'));
// Valid YAML, invalid contract: an objective of 150%.
writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x, owner: y }\nobjectives:\n  errors:\n    objective: 150%\n');
writeFileSync(join(dir, 'sloth-broken.yaml'), 'version: "prometheus/v1"\nservice: "x"\nslos: [\n');
const closedUrl = `http://127.0.0.1:${await refusedPort()}`;
// A valid contract whose service exits at once (accept always starts its target).
writeFileSync(join(dir, 'dies.yaml'), 'apiVersion: sloctl/v1\nservice: { name: dies }\ntarget: { run: "echo no database >&2; exit 7", startTimeout: 5s }\nroutes: [{ name: home, method: GET, path: / }]\nload: { rate: 100/s, duration: 2s, warmup: 1s, mix: [{ route: home, weight: 1 }] }\nobjectives:\n  errors: { objective: 99% }\n');

type Row = { command: string; situation: 'valid' | 'invalid contract' | 'bad flag' | 'unreachable target' | 'unusable input'; args: () => string[]; code: number; says: RegExp };

const rows: Row[] = [
  { command: 'init', situation: 'valid', args: () => ['--stdout'], code: EXIT.OK, says: /^apiVersion: sloctl\/v1$/m },
  { command: 'init', situation: 'bad flag', args: () => ['--url', 'nope'], code: EXIT.USAGE, says: /--url "nope": expected an absolute URL/ },
  { command: 'init', situation: 'unusable input', args: () => ['no-such-dir'], code: EXIT.USAGE, says: /no-such-dir: no such directory/ },
  { command: 'validate', situation: 'valid', args: () => [example], code: EXIT.OK, says: /valid: 1 file/ },
  { command: 'validate', situation: 'invalid contract', args: () => ['bad.yaml'], code: EXIT.FAILED, says: /bad\.yaml:5:\d+: error/ },
  { command: 'validate', situation: 'bad flag', args: () => ['--format', 'yaml', example], code: EXIT.USAGE, says: /--format must be text or json/ },
  { command: 'schema', situation: 'valid', args: () => [], code: EXIT.OK, says: /\$schema/ },
  { command: 'schema', situation: 'bad flag', args: () => ['--bogus'], code: EXIT.USAGE, says: /unknown option '--bogus'/ },
  { command: 'hook', situation: 'bad flag', args: () => ['install', '--bogus'], code: EXIT.USAGE, says: /unknown option '--bogus'/ },
  { command: 'hook', situation: 'unusable input', args: () => ['install'], code: EXIT.USAGE, says: /not inside a git repository/ },
  { command: 'convert', situation: 'invalid contract', args: () => ['--to', 'openslo', 'bad.yaml'], code: EXIT.USAGE, says: /bad\.yaml is not a valid sloctl contract/ },
  { command: 'convert', situation: 'bad flag', args: () => ['--from', 'nagios', 'bad.yaml'], code: EXIT.USAGE, says: /--from must be openslo or sloth/ },
  { command: 'convert', situation: 'unusable input', args: () => ['--from', 'sloth', 'sloth-broken.yaml'], code: EXIT.USAGE, says: /could not be converted from sloth/ },
  { command: 'generate', situation: 'valid', args: () => ['prometheus', example], code: EXIT.OK, says: /groups:/ },
  { command: 'generate', situation: 'invalid contract', args: () => ['prometheus', 'bad.yaml'], code: EXIT.USAGE, says: /not a valid contract/ },
  { command: 'generate', situation: 'invalid contract', args: () => ['grafana', 'bad.yaml'], code: EXIT.USAGE, says: /not a valid contract/ },
  { command: 'generate', situation: 'bad flag', args: () => ['prometheus', '--format', 'json', example], code: EXIT.USAGE, says: /--format must be rules or operator/ },
  { command: 'status', situation: 'invalid contract', args: () => ['bad.yaml'], code: EXIT.USAGE, says: /bad\.yaml has 1 error/ },
  { command: 'status', situation: 'bad flag', args: () => ['--samples', '1', example], code: EXIT.USAGE, says: /--samples: must be at least 2 \(an increase needs two scrapes\), got 1/ },
  { command: 'status', situation: 'unreachable target', args: () => ['--target', closedUrl, '--samples', '2', '--interval', '100ms', example], code: EXIT.TARGET, says: new RegExp(closedUrl.replace(/[.]/g, '\\.')) },
  { command: 'status', situation: 'unreachable target', args: () => ['--prometheus', closedUrl, example], code: EXIT.TARGET, says: new RegExp(closedUrl.replace(/[.]/g, '\\.')) },
  { command: 'load', situation: 'bad flag', args: () => [`${closedUrl}/`, '--rate', 'lots'], code: EXIT.USAGE, says: /--rate/ },
  { command: 'load', situation: 'unreachable target', args: () => [`${closedUrl}/`, '--rate', '20', '--duration', '1s', '--timeout', '500ms'], code: EXIT.TARGET, says: /could not be reached/ },
  { command: 'gate', situation: 'invalid contract', args: () => ['bad.yaml'], code: EXIT.USAGE, says: /bad\.yaml has 1 error/ },
  { command: 'gate', situation: 'bad flag', args: () => ['--trials', '0', example], code: EXIT.USAGE, says: /--trials/ },
  { command: 'gate', situation: 'unreachable target', args: () => ['--target', closedUrl, '--no-progress', '--journal', join(dir, 'gate-journal.jsonl'), example], code: EXIT.TARGET, says: /not reachable/ },
  { command: 'drill', situation: 'invalid contract', args: () => ['bad.yaml'], code: EXIT.USAGE, says: /bad\.yaml has 1 error/ },
  { command: 'drill', situation: 'bad flag', args: () => ['--steady', 'lots', example], code: EXIT.USAGE, says: /--steady: invalid duration "lots"/ },
  { command: 'drill', situation: 'unreachable target', args: () => ['--target', closedUrl, '--no-progress', '--journal', join(dir, 'drill-journal.jsonl'), example], code: EXIT.TARGET, says: /not reachable/ },
  { command: 'accept', situation: 'invalid contract', args: () => ['bad.yaml'], code: EXIT.USAGE, says: /bad\.yaml has 1 error/ },
  { command: 'accept', situation: 'bad flag', args: () => ['--skip', 'lunch', example], code: EXIT.USAGE, says: /--skip lunch: not a phase of accept; the phases are static, gate, drills/ },
  { command: 'accept', situation: 'unreachable target', args: () => ['--no-progress', '--journal', join(dir, 'accept-journal.jsonl'), 'dies.yaml'], code: EXIT.TARGET, says: /no database/ },
  { command: 'faults', situation: 'bad flag', args: () => ['serve', '--host', '0.0.0.0'], code: EXIT.USAGE, says: /--host: "0\.0\.0\.0" is not a loopback address/ },
  { command: 'faults', situation: 'bad flag', args: () => ['serve', '--port', '99999'], code: EXIT.USAGE, says: /--port: must be at most 65535, got 99999/ },
];

describe('exit codes: one policy for every command', () => {
  it('every command has a row for each situation that applies to it, and a documented list of codes', () => {
    for (const name of COMMAND_NAMES) {
      assert.ok(COMMAND_EXIT_CODES[name], `${name} lists its exit codes`);
      const situations = new Set(rows.filter((r) => r.command === name).map((r) => r.situation));
      assert.ok(situations.has('bad flag'), `${name}: a bad flag`);
      // Commands that read a contract get an invalid one; commands with a target get an unreachable one.
      if (['validate', 'convert', 'generate', 'status', 'gate', 'drill', 'accept'].includes(name)) assert.ok(situations.has('invalid contract'), `${name}: an invalid contract`);
      if (['status', 'load', 'gate', 'drill', 'accept'].includes(name)) assert.ok(situations.has('unreachable target'), `${name}: an unreachable target`);
    }
  });

  for (const row of rows) {
    it(`${row.command}, ${row.situation}: exit ${row.code} (${row.args().join(' ').replace(/\/tmp\/[^ ]+/g, '…')})`, async () => {
      const r = await cli([row.command, ...row.args()]);
      assert.equal(r.code, row.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(`${r.stdout}${r.stderr}`, row.says);
      assert.ok(COMMAND_EXIT_CODES[row.command].includes(r.code), `${row.command} --help does not list exit ${r.code}`);
      if (r.code !== EXIT.OK) assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  }

  it('an unknown command and an unknown top-level flag exit 2', async () => {
    assert.equal((await cli(['valdiate'])).code, EXIT.USAGE);
    assert.match((await cli(['valdiate'])).stderr, /Did you mean validate\?/);
    assert.equal((await cli(['--bogus'])).code, EXIT.USAGE);
  });

  it('an unexpected internal error exits 70 with one line, never 1', async () => {
    const r = await cli(['schema'], { stdout: () => { throw new TypeError('cannot write'); } });
    assert.equal(r.code, EXIT.INTERNAL);
    assert.match(r.stderr, /^sloctl: internal error, a bug in sloctl and not a verdict: TypeError: cannot write \(run again with SLOCTL_DEBUG=1 for the stack\)\n$/);
  });

  it('every error code maps to a documented exit code', () => {
    const documented = new Set(Object.values(EXIT));
    for (const [code, exit] of Object.entries(EXIT_FOR_CODE)) assert.ok(documented.has(exit), `${code} -> ${exit}`);
  });
});

describe('exit codes of the real process (bin/sloctl.js)', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/sloctl.js'), ...args], { cwd: dir, encoding: 'utf8' });

  it('validate of an invalid contract exits 1, generate of it 2, --version 0', () => {
    assert.equal(run(['validate', 'bad.yaml']).status, EXIT.FAILED);
    assert.equal(run(['generate', 'prometheus', 'bad.yaml']).status, EXIT.USAGE);
    assert.equal(run(['--version']).status, EXIT.OK);
  });

  it('a closed pipe ends quietly: no EPIPE stack trace', () => {
    // `sloctl generate prometheus slo.yaml | true`: the reader is gone before sloctl writes a byte.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${join(root, 'bin/sloctl.js')}" generate prometheus "${example}" 2>&3 | true; echo "\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const stderr = String(r.output[3]);
    assert.equal(r.stdout.trim(), '0', stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /);
  });
});
