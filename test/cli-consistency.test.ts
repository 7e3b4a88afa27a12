// The command line's small inconsistencies a user's pass over the installed CLI found, each held:
// counts agree with their nouns. (Flag values that are numbers but out of range:
// test/cli-flags.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pluralize } from '../src/cli/plural.ts';

describe('counts agree with their nouns', () => {
  it('pluralize', () => {
    assert.equal(pluralize(1, 'route'), '1 route');
    assert.equal(pluralize(0, 'route'), '0 routes');
    assert.equal(pluralize(2, 'dependency', 'dependencies'), '2 dependencies');
    assert.equal(pluralize(1, 'dependency', 'dependencies'), '1 dependency');
  });
});
