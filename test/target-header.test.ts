// How the reports' headers name the target (src/report/target.ts): started or attached, and
// whether it ever said UP. Pure for each case and each header (the gate's table, the drill's table,
// Markdown and HTML, accept's table), then the drill run's own report when a start or an attach
// fails (a drill whose start command failed used to read "(not reached) (attached)").
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AcceptReport } from '../src/accept/run.ts';
import type { DrillRunReport } from '../src/drill/run.ts';
import { renderAcceptTable } from '../src/report/accept.ts';
import { renderDrillMarkdown, renderDrillTable } from '../src/report/drill.ts';
import { targetLine } from '../src/report/format.ts';
import { renderTable } from '../src/report/table.ts';
import { htmlFromDrill } from '../src/report/html-model.ts';
import { targetText, type TargetFacts } from '../src/report/target.ts';
import type { GateReport } from '../src/verdicts/types.ts';
import { runCli } from './helpers/cli.ts';

const URL_ = 'http://127.0.0.1:8080';
const CASES: Array<[string, TargetFacts, string]> = [
  ['attached, answered', { url: URL_, started: false, reached: true }, `attached to ${URL_}`],
  ['started, answered', { url: URL_, started: true, reached: true, command: 'npm start' }, `started \`npm start\` at ${URL_}`],
  ['started, never UP', { url: '', started: true, reached: false, command: 'npm start' }, 'started `npm start`, but it never said UP (not reached)'],
  ['attached, never UP', { url: URL_, started: false, reached: false }, `attached to ${URL_}, which never said UP (not reached)`],
  ['not spawned (port taken, no directory)', { url: '', started: false, reached: false, command: 'npm start' }, 'could not start `npm start` (not reached)'],
  // The gate's report records no `reached`: its URL is set once the target said UP.
  ['gate, started', { url: URL_, started: true, command: 'npm start' }, `started \`npm start\` at ${URL_}`],
  ['gate, attached', { url: URL_, started: false }, `attached to ${URL_}`],
  ['gate, failed start', { url: '', started: false }, 'no target (not reached)'],
];

describe('targetText: one sentence per case', () => {
  for (const [name, facts, text] of CASES) it(name, () => assert.equal(targetText(facts), text));
});

const FIXTURES = join(import.meta.dirname, 'fixtures', 'report-html');
const revive = (_k: string, v: unknown) => (v === null ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
const failedStart = { url: '', started: true, reached: false, command: 'npm start', log: '/tmp/x/target.log' };

describe('every header says it the same way', () => {
  const drill = (JSON.parse(readFileSync(join(FIXTURES, 'drill.json'), 'utf8'), revive) as { report: DrillRunReport }).report;
  const gate = JSON.parse(readFileSync(join(FIXTURES, 'gate.json'), 'utf8'), revive) as GateReport;
  const said = 'started `npm start`, but it never said UP (not reached)';

  it('the drill: table, Markdown and HTML', () => {
    const r: DrillRunReport = { ...drill, outcome: 'target-failed', target: failedStart };
    assert.equal(renderDrillTable(r).split('\n')[0], `sloctl drill: ${r.service} (${r.contractFile}): ${said}`);
    assert.match(renderDrillMarkdown(r), /\): started .*npm start.*, but it never said UP \(not reached\) {2}$/m);
    assert.equal(htmlFromDrill(r).subtitle[0], `${r.service} (${r.contractFile}): ${said}`);
    const attached: DrillRunReport = { ...drill, target: { url: URL_, started: false, reached: false } };
    assert.equal(renderDrillTable(attached).split('\n')[0], `sloctl drill: ${r.service} (${r.contractFile}): attached to ${URL_}, which never said UP (not reached)`);
  });

  it('the gate and accept', () => {
    assert.equal(targetLine({ ...gate, target: { url: URL_, started: true, command: 'npm start' } }), `${gate.service} (${gate.contractFile}): started \`npm start\` at ${URL_}`);
    const a = { service: 'svc', contractFile: 'slo.yaml', outcome: 'target-failed', exitCode: 3, reasons: ['x'], startedAt: 0, finishedAt: 800, target: failedStart, contracts: [], phases: [], journal: 'j.jsonl' } as AcceptReport;
    assert.equal(renderAcceptTable(a).split('\n')[1], `target: ${said}; log /tmp/x/target.log; 800 ms; journal j.jsonl`);
  });
});

describe('the drill run records how its target went', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  function contract(target: string): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-target-header-'));
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: header }
target: ${target}
routes: [{ name: home, method: GET, path: / }]
load: { rate: 20/s, duration: 4s, warmup: 1s, mix: [{ route: home, weight: 1 }] }
objectives:
  errors: { objective: 90% }
  resilience:
    drills:
      - { name: loop, fault: event-loop-block, delay: 50ms, duration: 3s, detectWithin: 3s, recoverWithin: 5s }
`);
    return { dir, file };
  }
  /** A loopback URL nothing listens on: a port the system just gave out, closed again. */
  async function unusedUrl(): Promise<string> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await new Promise<void>((r) => s.close(() => r()));
    return url;
  }
  const drill = async (c: { dir: string; file: string }, ...args: string[]) => {
    const run = await runCli(['drill', c.file, '--json', '--no-progress', '--journal', join(c.dir, 'j.jsonl'), ...args], c.dir);
    assert.ok(run.stdout.startsWith('{'), `no report on stdout (exit ${run.code}):\n${run.stderr}`);
    return { code: run.code, report: JSON.parse(run.stdout) as DrillRunReport };
  };

  it('a start command that exits: started, never reached', async () => {
    const { code, report } = await drill(contract('{ run: "echo no database >&2; exit 7", startTimeout: 5s }'));
    assert.equal(code, 3);
    assert.deepEqual({ ...report.target, log: undefined }, { url: '', started: true, reached: false, command: 'echo no database >&2; exit 7', log: undefined });
    assert.equal(renderDrillTable(report).split('\n')[0], 'sloctl drill: header (slo.yaml): started `echo no database >&2; exit 7`, but it never said UP (not reached)');
  });

  it('with --json the drill still says what it does on stderr, and stdout is the report alone (as the gate and accept)', async () => {
    const c = contract('{ run: "echo no database >&2; exit 7", startTimeout: 5s }');
    const run = await runCli(['drill', c.file, '--json', '--journal', join(c.dir, 'j.jsonl')], c.dir);
    assert.equal(run.code, 3);
    assert.equal((JSON.parse(run.stdout) as DrillRunReport).target.started, true);
    assert.match(run.stderr, /^sloctl drill: starting `echo no database >&2; exit 7`$/m);
  });

  it('a target.port already taken: the command was never started', async () => {
    const s = createServer((_q, res) => res.end());
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    const { code, report } = await drill(contract(`{ run: "node -e 0", port: ${port}, startTimeout: 5s }`));
    assert.equal(code, 3);
    assert.equal(report.targetFailureKind, 'port-busy');
    assert.equal(report.target.started, false);
    assert.equal(targetText(report.target), 'could not start `node -e 0` (not reached)');
  });

  const gate = async (c: { dir: string; file: string }, ...args: string[]) => {
    const run = await runCli(['gate', c.file, '--json', '--no-progress', '--journal', join(c.dir, 'g.jsonl'), ...args], c.dir);
    assert.ok(run.stdout.startsWith('{'), `no report on stdout (exit ${run.code}):\n${run.stderr}`);
    return { code: run.code, report: JSON.parse(run.stdout) as GateReport };
  };

  it('the gate: a start command that exits is started and never reached; a port taken is never started; an attach to nothing is never reached', async () => {
    const failed = await gate(contract('{ run: "echo no database >&2; exit 7", startTimeout: 5s }'));
    assert.equal(failed.code, 3);
    assert.deepEqual({ ...failed.report.target, log: undefined }, { url: '', started: true, reached: false, command: 'echo no database >&2; exit 7', log: undefined });
    assert.equal(renderTable(failed.report).split('\n')[0], 'sloctl gate: header (slo.yaml): started `echo no database >&2; exit 7`, but it never said UP (not reached)');

    const s = createServer((_q, res) => res.end());
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    const busy = await gate(contract(`{ run: "node -e 0", port: ${port}, startTimeout: 5s }`));
    assert.equal(busy.code, 3);
    assert.equal(targetText(busy.report.target), 'could not start `node -e 0` (not reached)');

    const url = await unusedUrl();
    const attached = await gate(contract('{ run: "exit 1" }'), '--target', url);
    assert.equal(attached.code, 3);
    assert.deepEqual(attached.report.target, { url, started: false, reached: false });
    assert.equal(targetText(attached.report.target), `attached to ${url}, which never said UP (not reached)`);
  });

  it('a contract whose target has a url and no run: the gate and the drill attach to it as to --target (they said "no target.run command")', async () => {
    const url = await unusedUrl();
    const c = contract(`{ url: "${url}" }`);
    for (const run of [await gate(c), await drill(c)]) {
      assert.equal(run.code, 3);
      assert.deepEqual(run.report.target, { url, started: false, reached: false });
      assert.equal(targetText(run.report.target), `attached to ${url}, which never said UP (not reached)`);
    }
    // With both, run wins: the build under test is the one sloctl starts.
    const both = await gate(contract(`{ url: "${url}", run: "echo no database >&2; exit 7", startTimeout: 5s }`));
    assert.equal(both.report.target.started, true);
  });

  it('--target where nothing answers: attached, never reached', async () => {
    const url = await unusedUrl();
    const { code, report } = await drill(contract('{ run: "exit 1" }'), '--target', url);
    assert.equal(code, 3);
    assert.deepEqual(report.target, { url, started: false, reached: false });
    assert.equal(targetText(report.target), `attached to ${url}, which never said UP (not reached)`);
  });
});
