// `sloctl hook install|uninstall`: a git pre-commit hook that validates the staged slo.yaml files.
//
// An existing pre-commit hook is kept: it is moved aside and run first (chained), so installing
// sloctl never silently disables a team's other checks. Installing twice changes nothing.
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, type CliContext } from './exit.ts';

export const HOOK_MARKER = '# sloctl pre-commit hook';
export const CHAINED_NAME = 'pre-commit.sloctl-chained';

function hooksDir(cwd: string): string {
  try {
    // --git-path honours core.hooksPath and worktrees; absolute so it works from a subdirectory.
    return execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    throw new UsageError(`${cwd} is not inside a git repository: run \`sloctl hook install\` in the repository whose commits it should check`);
  }
}

/** The sloctl that installs the hook is the one it runs, unless the repository has its own. */
function sloctlCommand(): string {
  const bin = realpathSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/sloctl.js'));
  return `"${process.execPath}" "${bin}"`;
}

/**
 * The hook's script. `project`: also check the code (`validate --staged --project .`, run from the
 * repository's top, where git runs hooks): a commit that changes code checks the contract that
 * owns it, and one that changes neither code nor contract skips the scan.
 */
export function hookScript(project = false): string {
  const args = project ? 'validate --staged --project .' : 'validate --staged';
  return `#!/bin/sh
${HOOK_MARKER}: validates the staged slo.yaml files (their staged content)${project ? ' and the code they describe' : ''}.
# Installed by \`sloctl hook install\`; remove with \`sloctl hook uninstall\`.
# Skip once with \`git commit --no-verify\`.
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/${CHAINED_NAME}" ]; then
  "$hook_dir/${CHAINED_NAME}" "$@" || exit $?
fi
if [ -x ./node_modules/.bin/sloctl ]; then
  ./node_modules/.bin/sloctl ${args}
else
  ${sloctlCommand()} ${args}
fi
status=$?
if [ $status -ne 0 ]; then
  echo "sloctl: commit refused: fix the ${project ? 'contract or code' : 'contract'} above (or commit with --no-verify to skip)" >&2
fi
exit $status
`;
}

export function installHook(cwd: string, opts: { project?: boolean } = {}): { path: string; chained: boolean; changed: boolean } {
  const dir = hooksDir(cwd);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'pre-commit');
  const chainedPath = join(dir, CHAINED_NAME);
  const script = hookScript(opts.project);
  if (existsSync(path)) {
    const current = readFileSync(path, 'utf8');
    if (current.includes(HOOK_MARKER)) {
      const changed = current !== script;
      if (changed) writeFileSync(path, script, { mode: 0o755 });
      chmodSync(path, 0o755);
      return { path, chained: existsSync(chainedPath), changed };
    }
    if (existsSync(chainedPath)) {
      throw new UsageError(`${chainedPath} already exists beside a pre-commit hook that is not sloctl's: merge them by hand, then run install again`);
    }
    renameSync(path, chainedPath);
    chmodSync(chainedPath, 0o755);
  }
  writeFileSync(path, script, { mode: 0o755 });
  chmodSync(path, 0o755);
  return { path, chained: existsSync(chainedPath), changed: true };
}

export function uninstallHook(cwd: string): { path: string; restored: boolean; removed: boolean } {
  const dir = hooksDir(cwd);
  const path = join(dir, 'pre-commit');
  const chainedPath = join(dir, CHAINED_NAME);
  if (!existsSync(path) || !readFileSync(path, 'utf8').includes(HOOK_MARKER)) return { path, restored: false, removed: false };
  rmSync(path);
  if (existsSync(chainedPath)) {
    renameSync(chainedPath, path);
    return { path, restored: true, removed: true };
  }
  return { path, restored: false, removed: true };
}

export function register(program: Command, ctx: CliContext): void {
  const hook = program.command('hook').description('Manage the git pre-commit hook that validates staged contracts.');
  hook
    .command('install')
    .description('Install (or update) the pre-commit hook; an existing hook is kept and run first.')
    .option('--project', 'check the code too (validate --staged --project .): a commit that changes code checks the contract that owns it')
    .action((opts: { project?: boolean }) => {
      const r = installHook(ctx.cwd, { project: opts.project === true });
      ctx.stdout(`${r.changed ? 'installed' : 'already installed'}: ${r.path}${r.chained ? ` (runs the previous hook first: ${CHAINED_NAME})` : ''}\n`);
    });
  hook
    .command('uninstall')
    .description('Remove sloctl\'s pre-commit hook, restoring the hook it chained.')
    .action(() => {
      const r = uninstallHook(ctx.cwd);
      ctx.stdout(r.removed ? `removed: ${r.path}${r.restored ? ' (previous hook restored)' : ''}\n` : `no sloctl hook at ${r.path}\n`);
    });
}
