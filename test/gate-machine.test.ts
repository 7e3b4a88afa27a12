import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { describe, it } from 'node:test';
import { machineBetween } from '../src/verdicts/machine.ts';
import { processTreeCpuMs, sampleCpu, systemMachineProbe } from '../src/run/machine-probe.ts';

describe('gate machine probe', () => {
  it('other CPU = busy time of all cores minus the generator and the target', () => {
    const before = { atMs: 0, idleMs: 10_000, cores: 4, selfCpuMs: 100 };
    // Over 1 s on 4 cores: 1.5 s idle, so 2.5 s busy; the generator used 0.3 s, the target 0.7 s: others 1.5 cores.
    const after = { atMs: 1000, idleMs: 11_500, cores: 4, selfCpuMs: 400 };
    assert.deepEqual(machineBetween(before, after, 700), { cores: 4, otherCpuCores: 1.5 });
    // Tick rounding below zero is clamped; unusable input gives no measurement.
    assert.deepEqual(machineBetween(before, { ...after, idleMs: 13_100 }, 700), { cores: 4, otherCpuCores: 0 });
    assert.equal(machineBetween(before, { ...after, atMs: 0 }, 700), undefined);
    assert.equal(machineBetween(before, { ...after, cores: 8 }, 700), undefined);
    assert.equal(machineBetween(before, after, NaN), undefined);
  });

  it('the system probe measures around a trial, and claims nothing without the target\'s CPU', () => {
    assert.equal(systemMachineProbe.begin(undefined)(100), undefined);
    assert.equal(systemMachineProbe.begin(0)(undefined), undefined);
    const end = systemMachineProbe.begin(0);
    const t0 = performance.now();
    while (performance.now() - t0 < 30) {} // some wall time (and CPU of this process) to measure
    const m = end(0);
    assert.ok(m !== undefined);
    assert.equal(m.cores, os.cpus().length);
    assert.ok(m.otherCpuCores >= 0 && m.otherCpuCores <= m.cores, JSON.stringify(m));
  });

  it('sampleCpu reads this machine', () => {
    const s = sampleCpu();
    assert.equal(s.cores, os.cpus().length);
    assert.ok(s.idleMs > 0 && s.selfCpuMs > 0);
  });

  it('processTreeCpuMs counts a process and its descendants', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    // A shell (that does not exec) whose node child burns 300 ms of CPU, reports its own CPU, then waits.
    const script = "const t=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000};while(t()<300){}console.log('CPU '+t());process.stdin.resume()";
    const child = spawn('sh', ['-c', `node -e "${script}"; true`], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const reported = Number(/CPU ([\d.]+)/.exec(line.toString())![1]);
      const measured = processTreeCpuMs(child.pid!);
      assert.ok(measured !== undefined);
      // /proc counts in 10 ms ticks; the shell adds a few.
      assert.ok(measured >= reported - 30 && measured <= reported + 60, `measured ${measured} ms, the child reported ${reported} ms`);
    } finally {
      child.stdin!.end();
      await once(child, 'exit');
    }
    assert.equal(processTreeCpuMs(child.pid!), undefined, 'gone after exit');
  });
});
