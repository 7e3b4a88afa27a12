#!/usr/bin/env node
// `npm run dev -- <command> ...`: sloctl from the TypeScript sources through tsx, without a build
// (bin/sloctl.js runs the built dist/, which is only as fresh as the last `npm run build`).
import { register } from 'tsx/esm/api';

register();
const cli = await import('../src/cli/main.ts');
process.exitCode = await cli.main(process.argv);
