#!/usr/bin/env node
// The sloctl command: runs the built JavaScript in dist/ (what the package ships). In a clone that
// has not been built yet (`npm run build`), it runs the TypeScript sources through tsx, a dev
// dependency, so a contributor is never stuck.
import { existsSync, readFileSync } from 'node:fs';

const INTERNAL = 70; // src/errors.ts EXIT.INTERNAL

// `sloctl generate prometheus slo.yaml | head -1`: the reader is gone, which is not an error of
// ours. Stop quietly, with the exit code the command had so far.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const argv = process.argv;
// `sloctl --version` answers before loading anything else: it is what scripts probe first.
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V' || argv[2] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const built = new URL('../dist/cli/main.js', import.meta.url);
  let cli;
  if (existsSync(built)) {
    cli = await import(built.href);
  } else {
    try {
      const { register } = await import('tsx/esm/api');
      register();
    } catch {
      process.stderr.write('sloctl: dist/ is missing and tsx is not installed: run `npm run build` in the sloctl checkout\n');
      process.exit(INTERNAL);
    }
    cli = await import('../src/cli/main.ts');
  }
  // An error thrown outside the command's own promise (a timer, a stream) is a bug too: one line
  // and exit 70, never the 1 that means "an objective failed".
  const crash = (e) => {
    process.exitCode = cli.exitFor(e, { stderr: (s) => process.stderr.write(s) });
    process.exit();
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.exitCode = await cli.main(argv);
}
