#!/usr/bin/env node
// The sloctl command. Sources are TypeScript run through tsx, so a clone works with no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
