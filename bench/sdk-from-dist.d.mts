// Types of bench/sdk-from-dist.mjs (plain JavaScript: bench/experiments/ab-bundle.mjs runs it without tsx).
import type { Plugin } from 'esbuild';
export function buildDist(root: string): void;
export function sdkFromDist(root: string): Plugin;
export function bundleServer(root: string, entry: string, outfile: string, opts?: { inline?: boolean }): Promise<void>;
