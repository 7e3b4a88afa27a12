// A PID whose process ran and has exited (reaped): what a writer killed mid-write leaves in its
// temporary file's name (the atomic writer's and the SDK evidence store's orphan sweeps).
import { spawnSync } from 'node:child_process';

export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}
