// The atomic writer (src/files/write-atomically.ts): a temporary file then a rename; the
// temporary files a writer killed mid-write left are removed by the next write of the same file,
// unless their writer still runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeOrphans, writeAtomically } from '../src/files/write-atomically.ts';
import { deadPid } from './helpers/dead-pid.ts';

describe('writeAtomically', () => {
  it('writes the file whole and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-atomic-'));
    const path = join(dir, 'baseline.json');
    writeAtomically(path, '{"a":1}\n');
    writeAtomically(path, '{"a":2}\n');
    assert.equal(readFileSync(path, 'utf8'), '{"a":2}\n');
    assert.deepEqual(readdirSync(dir), ['baseline.json']);
  });

  it('removes the temporary files of a writer that was killed, and keeps those of one that still runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-atomic-'));
    const path = join(dir, 'baseline.json');
    const dead = deadPid();
    assert.ok(Number.isInteger(dead) && dead > 0, `a pid: ${dead}`);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const orphan = `.baseline.json.${dead}.0a1b2c3d.tmp`;
      const busy = `.baseline.json.${live.pid}.deadbeef.tmp`;
      const other = `.other.json.${dead}.0a1b2c3d.tmp`; // another file's: not this write's to remove
      const notOurs = '.baseline.json.notes.tmp'; // not a name the writer makes
      for (const n of [orphan, busy, other, notOurs]) writeFileSync(join(dir, n), 'partial');
      writeAtomically(path, '{}\n');
      assert.equal(existsSync(join(dir, orphan)), false, 'the dead writer\'s file is gone');
      for (const n of [busy, other, notOurs]) assert.ok(existsSync(join(dir, n)), `${n} is left`);
      assert.equal(readFileSync(path, 'utf8'), '{}\n');
    } finally {
      live.kill();
    }
  });

  it('removeOrphans never throws: a directory that does not exist has none', () => {
    assert.deepEqual(removeOrphans(join(tmpdir(), 'sloctl-no-such-dir', 'x.json')), []);
  });

  it('a directory that does not exist is a UsageError naming the path as the user wrote it', () => {
    assert.throws(() => writeAtomically(join(tmpdir(), 'sloctl-no-such-dir', 'x.json'), '{}', 'out/x.json'), /cannot write out\/x\.json: the directory does not exist/);
  });
});
