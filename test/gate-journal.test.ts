// The run journal: one JSON line per event, each written synchronously, so a run killed at any
// moment keeps every line it completed; the reader tolerates (and reports) a cut-off last line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.ts';
import { defaultJournalPath, Journal, journalPathProblem, readJournal, runDirectory } from '../src/run/journal.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'sloctl-journal-'));

describe('journal', () => {
  it('writes one line per event: time, event name first, data after; NaN and Infinity JSON-safe', () => {
    const path = join(tmp(), 'deep', 'run', 'journal.jsonl');
    const j = new Journal(path, { now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) });
    j.write('start', { profile: { rate: 200 }, t: 'not mine', event: 'nor this' });
    j.write('trial', { p95: NaN, max: Infinity, min: -Infinity, note: 'line\nbreak' });
    j.close();
    j.write('late', { ignored: true });
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.equal(lines[0], '{"t":"2026-01-02T03:04:05.678Z","event":"start","profile":{"rate":200}}');
    assert.deepEqual(JSON.parse(lines[1]), { t: '2026-01-02T03:04:05.678Z', event: 'trial', p95: null, max: 'Infinity', min: '-Infinity', note: 'line\nbreak' });
    const read = readJournal(path);
    assert.equal(read.events.length, 2);
    assert.equal(read.truncated, undefined);
    assert.deepEqual(read.invalid, []);
  });

  it('writes a Map (a drill\'s service scrape: routes, buckets, classes) with its entries, not as {}', () => {
    const path = join(tmp(), 'journal.jsonl');
    const j = new Journal(path);
    const routes = new Map([['GET /users/:id', { method: 'GET', route: '/users/:id', buckets: new Map([[0.1, 40], [Infinity, 42]]), requests: 42, classes: new Map([['client', 2]]) }]]);
    j.write('drill-evidence', { drill: 'loop-blocked', evidence: { service: [{ atMs: 500, routes }], seen: new Set(['up']) } });
    j.close();
    const [line] = readJournal(path).events;
    assert.deepEqual((line as unknown as { evidence: unknown }).evidence, {
      service: [{ atMs: 500, routes: { 'GET /users/:id': { method: 'GET', route: '/users/:id', buckets: { '0.1': 40, Infinity: 42 }, requests: 42, classes: { client: 2 } } } }],
      seen: ['up'],
    });
  });

  it('appends to an existing journal rather than replacing it', () => {
    const path = join(tmp(), 'journal.jsonl');
    for (const n of [1, 2]) {
      const j = new Journal(path);
      j.write('run', { n });
      j.close();
    }
    assert.deepEqual(readJournal(path).events.map((e) => e.n), [1, 2]);
  });

  it('reads a journal whose last line was cut off, and says so; damage before the end is reported by line', () => {
    const path = join(tmp(), 'journal.jsonl');
    const j = new Journal(path);
    j.write('start');
    j.write('trial', { index: 0 });
    j.close();
    appendFileSync(path, '{"t":"2026-01-01T00:00:00.000Z","event":"trial","index":1,"result":{"lat');
    const read = readJournal(path);
    assert.deepEqual(read.events.map((e) => e.event), ['start', 'trial']);
    assert.equal(read.truncated?.line, 3);
    assert.match(read.truncated!.text, /^\{"t":"2026-01-01T00:00:00\.000Z","event":"trial","index":1/);

    // A complete last line missing only its newline is an event, not a truncation.
    const whole = join(tmp(), 'journal.jsonl');
    writeFileSync(whole, '{"t":"x","event":"a"}\n{"t":"y","event":"b"}');
    assert.deepEqual(readJournal(whole).events.map((e) => e.event), ['a', 'b']);
    assert.equal(readJournal(whole).truncated, undefined);

    const damaged = join(tmp(), 'journal.jsonl');
    writeFileSync(damaged, '{"t":"x","event":"a"}\ngarbage\n[1]\n{"t":"y","event":"b"}\n');
    const r = readJournal(damaged);
    assert.deepEqual(r.events.map((e) => e.event), ['a', 'b']);
    assert.deepEqual(r.invalid.map((x) => x.line), [2, 3]);
  });

  it('keeps every completed line of a process killed while writing (SIGKILL, no chance to flush)', async () => {
    const path = join(tmp(), 'journal.jsonl');
    const writer = fileURLToPath(new URL('./fixtures/gate/journal-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    let reported = 0;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        const all = [...buf.matchAll(/wrote (\d+)\n/g)];
        if (all.length === 0) return;
        reported = Number(all[all.length - 1][1]);
        if (reported >= 50) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error('the writer exited before it was killed')));
    });
    assert.equal(await exited, 'SIGKILL');
    const read = readJournal(path);
    // Every event it said it wrote is there, in order; more may have landed before the kill.
    assert.ok(read.events.length >= reported, `${read.events.length} events, ${reported} reported`);
    assert.deepEqual(read.events.map((e) => e.index), read.events.map((_, i) => i));
    assert.ok(read.events.every((e) => e.nan === null && (e.payload as string).length === 4096));
    assert.deepEqual(read.invalid, []);
  });

  it('puts each run in its own directory under .sloctl/runs, named by service and UTC time', () => {
    const root = tmp();
    const at = new Date(Date.UTC(2026, 10, 25, 5, 11, 51));
    assert.equal(runDirectory(root, 'checkout', at), join(root, '.sloctl', 'runs', 'checkout-20261125-051151'));
    assert.equal(basename(runDirectory(root, '../../etc/pass wd', at)), 'etc_pass_wd-20261125-051151', 'a service name cannot climb out');
    const first = defaultJournalPath(root, 'checkout', at);
    const second = defaultJournalPath(root, 'checkout', at);
    assert.equal(first, join(root, '.sloctl', 'runs', 'checkout-20261125-051151', 'journal.jsonl'));
    assert.equal(dirname(second), join(root, '.sloctl', 'runs', 'checkout-20261125-051151-2'), 'two runs in the same second do not share a journal');
  });
});

describe('gate --journal PATH that cannot be written', () => {
  /** A contract whose target would leave a mark if it were started. */
  function contract(): { dir: string; file: string } {
    const dir = tmp();
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: journal-fixture }
target: { run: "touch started; sleep 30", startTimeout: 5s }
routes:
  - { name: work, method: GET, path: /work }
load: { rate: 10/s, duration: 1s, warmup: 1s, mix: [{ route: work, weight: 1 }] }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 99% }
`);
    return { dir, file };
  }

  async function gate(args: string[], cwd: string) {
    return runCli(['gate', ...args], cwd);
  }

  it('a directory: exit 2 naming the flag and the path, with a file to use instead, before anything starts', async () => {
    const { dir, file } = contract();
    mkdirSync(join(dir, 'runs'));
    const r = await gate([file, '--journal', 'runs', '--no-progress'], dir);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`^sloctl: --journal runs: ${join(dir, 'runs')} is a directory; name a file, e.g. ${join(dir, 'runs', 'journal.jsonl')}\\. Pass a file path`, 'm'));
    assert.doesNotMatch(r.stderr, /EISDIR|\n\s+at /, 'no raw error, no stack trace');
    assert.ok(!existsSync(join(dir, 'started')), 'the target was not started');
    assert.ok(!existsSync(join(dir, '.sloctl')), 'no run directory was made');
  });

  it('below a regular file: exit 2 saying which part is a file', async () => {
    const { dir, file } = contract();
    writeFileSync(join(dir, 'notes'), 'x');
    const r = await gate([file, '--journal', 'notes/run/journal.jsonl', '--no-progress'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--journal notes/run/journal\\.jsonl: ${join(dir, 'notes')} is a file, not a directory, so ${join(dir, 'notes/run/journal.jsonl')} cannot be created`));
    assert.ok(!existsSync(join(dir, 'started')));
  });

  it('in a directory without write permission: exit 2 saying so (not checkable as root)', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root may write anywhere');
      return;
    }
    const { dir, file } = contract();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      const r = await gate([file, '--journal', 'locked/journal.jsonl', '--no-progress'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /locked is not writable \(EACCES\)/);
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it('journalPathProblem: a new file in a writable place, or an existing file, is fine; nothing is created', () => {
    const dir = tmp();
    assert.equal(journalPathProblem(join(dir, 'a', 'b', 'journal.jsonl')), undefined);
    assert.ok(!existsSync(join(dir, 'a')));
    writeFileSync(join(dir, 'old.jsonl'), 'kept\n');
    assert.equal(journalPathProblem(join(dir, 'old.jsonl')), undefined);
    assert.equal(readFileSync(join(dir, 'old.jsonl'), 'utf8'), 'kept\n');
    assert.match(journalPathProblem(dir)!, /is a directory/);
  });
});
