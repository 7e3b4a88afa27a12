// A runner killed mid-drill leaves nothing behind (issue 11, done-when: "kill -9 of the sloctl
// process during a drill: the service's next requests go straight through within the in-process
// faults' maximum duration"), the SDK's half: a service process with a drill token, a runner
// process that applies faults through DrillClient and is then killed with SIGKILL, and the
// service's requests afterwards. The faults hold every request and block the loop 300 ms in 500,
// for at most 2.5 s: the first request after the kill is answered when they expire, and from then
// on requests go straight through, with no fault left in the list.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { after, before, it } from 'node:test';
import { request } from 'undici';
import { DrillClient } from '../src/sdk/drill/client.ts';

const TOKEN = 'crash-test-token-0123456789abcdef';
const DURATION_MS = 2500;
const src = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);

const SERVICE = `
  import { createServer } from 'node:http';
  import { instrument } from ${src('../src/sdk/index.ts')};
  import { wrap } from ${src('../src/sdk/adapters/http.ts')};
  const sdk = instrument({ contract: new URL(${src('./fixtures/sdk-drill/slo.yaml')}), defaultMetrics: false });
  const server = createServer(wrap((req, res) => res.end('hello'), sdk));
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const RUNNER = `
  import { DrillClient } from ${src('../src/sdk/drill/client.ts')};
  const c = new DrillClient({ url: process.argv[1], token: process.env.SLOCTL_DRILL_TOKEN });
  const a = await c.apply('unsettled-promises', { share: 1 }, ${DURATION_MS});
  const b = await c.apply('event-loop-block', { blockMs: 300, everyMs: 500 }, ${DURATION_MS});
  console.log(JSON.stringify({ ids: [a.id, b.id], expires: [Date.parse(a.expiresAt), Date.parse(b.expiresAt)] }));
  setInterval(() => {}, 60_000); // a drill in progress, until killed
`;

function node(code: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], {
    env: { ...process.env, SLOCTL_DRILL_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    const nl = out.indexOf('\n');
    if (nl >= 0) return out.slice(0, nl);
  }
  throw new Error(`the process exited (${child.exitCode}) before printing a line`);
}

let service: ChildProcess;
let url: string;
before(async () => {
  service = node(SERVICE);
  url = `http://127.0.0.1:${await firstLine(service)}`;
});
after(() => {
  service.kill('SIGKILL');
});

it('kill -9 of the runner mid-drill: the next request is answered when the faults expire (within their 2.5 s maximum), and then requests go straight through', async (t) => {
  const runner = node(RUNNER, [url]);
  const { ids, expires } = JSON.parse(await firstLine(runner)) as { ids: string[]; expires: number[] };
  const lastExpiry = Math.max(...expires);
  runner.kill('SIGKILL');
  await once(runner, 'exit');

  // Held by the unsettled-promises fault until it expires: nobody is left to remove it.
  const r = await request(`${url}/hello`, { headersTimeout: 10_000 });
  assert.equal(await r.body.text(), 'hello');
  // Held until the hold's expiry (the drill was really in place when its runner died), and no longer.
  const answered = Date.now() - expires[0];
  assert.ok(answered >= -50, `the first request after the kill was answered ${-answered} ms before the hold expired: it was not held`);
  assert.ok(answered <= 1000, `the first request after the kill was answered ${answered} ms after the hold's maximum duration`);

  // Every fault gone within the maximum duration (the two were applied one after the other, so
  // the second expires a little after the first), with nobody to remove them.
  const c = new DrillClient({ url, token: TOKEN });
  while ((await c.list()).faults.length > 0) {
    assert.ok(Date.now() <= lastExpiry + 1000, `faults still in effect ${Date.now() - lastExpiry} ms past their maximum duration`);
    await new Promise((res) => setTimeout(res, 20));
  }
  for (const id of ids) assert.equal((await c.get(id))?.ended, 'expired', id);

  // Straight through from now on: no hold, no block.
  const slowest = { ms: 0 };
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const x = await request(`${url}/hello`);
    await x.body.text();
    slowest.ms = Math.max(slowest.ms, performance.now() - t0);
  }
  assert.ok(slowest.ms < 150, `a request took ${slowest.ms.toFixed(0)} ms after the faults expired`);

  t.diagnostic(`first request after the kill answered ${answered} ms after the hold's expiry (${DURATION_MS} ms after it was applied); slowest of the next 20: ${slowest.ms.toFixed(1)} ms`);
});
