// Loading tree-sitter's Go grammar (WebAssembly, so no native build and no Go toolchain). The
// runtime and grammar load once per process; every scan reuses the same parser.

import { createRequire } from 'node:module';
import type * as TreeSitter from '@vscode/tree-sitter-wasm';

export type GoNode = TreeSitter.Node;
export type GoTree = TreeSitter.Tree;
export type GoParser = TreeSitter.Parser;

const require = createRequire(import.meta.url);
const PACKAGE = '@vscode/tree-sitter-wasm';

let loading: Promise<GoParser> | undefined;

/** The shared Go parser. A failed load is not cached, so a later call can try again. */
export function goParser(): Promise<GoParser> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw new Error(`cannot load the Go grammar from ${PACKAGE}: ${String(error)}`);
  });
  return loading;
}

async function load(): Promise<GoParser> {
  // The package is a UMD bundle: require() gives its exports object directly.
  const treeSitter = require(PACKAGE) as typeof TreeSitter;
  await treeSitter.Parser.init({
    locateFile: (file: string) => require.resolve(`${PACKAGE}/wasm/${file}`),
  });
  const language = await treeSitter.Language.load(require.resolve(`${PACKAGE}/wasm/tree-sitter-go.wasm`));
  const parser = new treeSitter.Parser();
  parser.setLanguage(language);
  return parser;
}
