// Building the Go test fixtures: Debian's Go in GOPATH mode against /usr/share/gocode (the module
// proxy is not reachable here), with one build cache shared by every Go test and kept between runs
// (Go's cache is safe to share between processes: client_golang, gin and echo compile from nothing
// in about a minute on a busy machine, in seconds after that).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const GO_INSTALL = 'apt-get install golang-go golang-github-prometheus-client-golang-dev';
export const GO_CACHE = process.env.SLOCTL_TEST_GOCACHE ?? join(tmpdir(), 'sloctl-test-gocache');

/** The environment for `go` in GOPATH mode, with `work/gopath` as the writable GOPATH entry. */
export function goEnv(work: string): NodeJS.ProcessEnv {
  return { ...process.env, GO111MODULE: 'off', GOPATH: `/usr/share/gocode:${join(work, 'gopath')}`, GOCACHE: GO_CACHE, GOFLAGS: '' };
}

/**
 * Builds one main.go, or a main package's directory, (a path relative to the repository) into
 * `work/<name>`; the binary's path. A directory is built from inside it: GOPATH mode refuses an
 * absolute import path.
 */
export function buildGoFile(go: string, mainFile: string, work: string, name = 'svc'): string {
  const bin = join(work, name);
  const path = join(REPO_ROOT, mainFile);
  const dir = statSync(path).isDirectory();
  const built = spawnSync(go, ['build', '-o', bin, dir ? '.' : path], { encoding: 'utf8', env: goEnv(work), ...(dir ? { cwd: path } : {}) });
  assert.equal(built.status, 0, `go build ${mainFile} failed (Debian's Go packages installed? ${GO_INSTALL}):\n${built.stderr}`);
  return bin;
}
