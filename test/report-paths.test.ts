// gate, drill and accept write their report files (--junit, --markdown, --html) when the run ends:
// a directory that is not there is a usage error before anything runs (a user trial: a 31 s gate
// printed its PASS, then "cannot write /nonexistent/dir/x.xml", exit 2, and the Markdown report
// and the step summary were never written).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT } from '../src/cli/exit.ts';
import { runCli } from './helpers/cli.ts';

describe('report paths are checked before the run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-report-paths-'));
  for (const cmd of ['gate', 'drill', 'accept']) {
    for (const flag of ['--junit', '--markdown', '--html']) {
      it(`${cmd} ${flag} in a missing directory: exit 2 at once, naming the flag and the directory`, async () => {
        // No contract in dir either: the path is refused first, before the contract is read.
        const r = await runCli([cmd, 'slo.yaml', flag, 'nope/out.file'], dir);
        assert.equal(r.code, EXIT.USAGE, r.stderr);
        assert.match(r.stderr, new RegExp(`${flag} nope/out\\.file: the directory nope does not exist; create it first`));
        assert.doesNotMatch(r.stderr + r.stdout, /slo\.yaml/, 'refused before the contract is even read');
      });
    }
  }
});
