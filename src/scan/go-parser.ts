// Loading tree-sitter's Go grammar (WebAssembly, so no native build and no Go toolchain). The
// runtime and grammar load once per process, and only when a Go module is scanned; every scan
// reuses the same parser.
//
// The runtime, web-tree-sitter (about 5 MB), is an optional peer dependency: most installs never
// scan Go, and the package stays small for them. The grammar itself (217 KB) ships with sloctl in
// grammars/ (see grammars/README.md).
import type * as TreeSitter from 'web-tree-sitter';
import { UsageError } from '../errors.ts';

export type GoNode = TreeSitter.Node;
export type GoTree = TreeSitter.Tree;
export type GoParser = TreeSitter.Parser;

const RUNTIME = 'web-tree-sitter';
/** The same path from src/scan/ (development) and dist/scan/ (the package). */
const GRAMMAR = new URL('../../grammars/tree-sitter-go.wasm', import.meta.url);

let loading: Promise<GoParser> | undefined;

/** The shared Go parser. A failed load is not cached, so a later call can try again. */
export function goParser(): Promise<GoParser> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<GoParser> {
  let treeSitter: typeof TreeSitter;
  try {
    treeSitter = await import(RUNTIME);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError(`--go-module-path needs the WebAssembly tree-sitter runtime, an optional peer dependency of sloctl: install it beside sloctl (npm install --save-dev ${RUNTIME}) and run again`);
    }
    throw e;
  }
  try {
    await treeSitter.Parser.init();
    const language = await treeSitter.Language.load(GRAMMAR.pathname);
    const parser = new treeSitter.Parser();
    parser.setLanguage(language);
    return parser;
  } catch (e) {
    throw new Error(`cannot load the Go grammar ${GRAMMAR.pathname} with ${RUNTIME}: ${String(e)}`, { cause: e });
  }
}
