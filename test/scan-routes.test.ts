// The route scanners on the frameworks the CLI tests do not cover: Koa with @koa/router, Hono,
// gin, echo; and a plugin nobody visibly mounts (its paths are only ends).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catchAllMayServe, routeServes, subtreeRedirect } from '../src/contract/route-paths.ts';
import { scanGoModule } from '../src/scan/go.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import type { ScanResult } from '../src/scan/types.ts';
import { writeProject } from './helpers/project.ts';

const project = (files: Record<string, string>): string => writeProject(files, 'sloctl-routes-');

const shown = (r: ScanResult) => r.routes.map((x) => `${x.method} ${x.prefixUnknown ? '…' : ''}${x.path}`).sort();

describe('TypeScript route scanner', () => {
  it('Koa: @koa/router with a prefix, nested with router.use(prefix, sub.routes())', async () => {
    const dir = project({
      'app.ts': `import Koa from 'koa';\nimport Router from '@koa/router';\nconst app = new Koa();\nconst api = new Router({ prefix: '/api' });\nconst items = new Router();\nitems.get('/:id', (ctx) => {});\napi.get('/status', (ctx) => {}).post('/jobs', (ctx) => {});\napi.use('/items', items.routes());\napp.use(api.routes());\n`,
    });
    assert.deepEqual(shown(await scanTypeScriptProject(dir)), ['GET /api/items/:id', 'GET /api/status', 'POST /api/jobs']);
  });

  it('Hono: app.route(prefix, sub) across files, basePath, app.on()', async () => {
    const dir = project({
      'app.ts': `import { Hono } from 'hono';\nimport books from './books.ts';\nconst app = new Hono().basePath('/v1');\napp.route('/books', books);\napp.on(['PUT', 'DELETE'], '/cache', (c) => c.text('ok'));\nexport default app;\n`,
      'books.ts': `import { Hono } from 'hono';\nconst books = new Hono();\nbooks.get('/', (c) => c.json([]));\nbooks.get('/:id{[0-9]+}', (c) => c.json({}));\nexport default books;\n`,
    });
    assert.deepEqual(shown(await scanTypeScriptProject(dir)), ['DELETE /v1/cache', 'GET /v1/books', 'GET /v1/books/:id{[0-9]+}', 'PUT /v1/cache']);
  });

  it('a plugin nobody visibly registers sits under an unknown prefix: it serves contract paths that end with its own', async () => {
    const dir = project({ 'plugin.js': `module.exports = async function (fastify) {\n  fastify.get('/:id', async () => ({}));\n};\n` });
    const result = await scanTypeScriptProject(dir);
    assert.deepEqual(shown(result), ['GET …/:id']);
    assert.ok(routeServes(result.routes[0], { method: 'GET', path: '/users/{id}' }));
    assert.ok(!routeServes(result.routes[0], { method: 'GET', path: '/users/{id}/posts' }));
  });

  it('records a computed path as unresolved, and ignores Map#get and HTTP clients', async () => {
    const dir = project({
      'app.ts': `import express from 'express';\nimport axios from 'axios';\nconst app = express();\nconst cache = new Map();\napp.get(\`/\${process.env.BASE}/x\`, (req, res) => { cache.get('/x'); axios.get('/upstream', req.query); });\n`,
    });
    const result = await scanTypeScriptProject(dir);
    assert.deepEqual(shown(result), []);
    assert.deepEqual(result.unresolvedRoutes.map((u) => [u.line, u.what]), [[5, '`/${process.env.BASE}/x`']]);
  });
});

describe('Go route scanner', () => {
  it('gin: routes on the engine and on nested groups', async () => {
    const dir = project({
      'main.go': `package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/health", health)\n\tv1 := r.Group("/v1")\n\t{\n\t\tusers := v1.Group("/users")\n\t\tusers.GET("/:id", getUser)\n\t\tusers.Any("/*rest", proxy)\n\t}\n\tr.Handle("DELETE", "/cache", clear)\n}\n`,
    });
    assert.deepEqual(shown(await scanGoModule(dir)), ['* /v1/users/*rest', 'DELETE /cache', 'GET /health', 'GET /v1/users/:id']);
  });

  it('echo: groups, and a group passed to a function sits under an unknown prefix', async () => {
    const dir = project({
      'main.go': `package main\n\nimport "github.com/labstack/echo/v4"\n\nfunc main() {\n\te := echo.New()\n\tapi := e.Group("/api")\n\tapi.POST("/orders", createOrder)\n\tregister(api)\n}\n\nfunc register(g *echo.Group) {\n\tg.GET("/orders/:id", getOrder)\n}\n`,
    });
    assert.deepEqual(shown(await scanGoModule(dir)), ['GET …/orders/:id', 'POST /api/orders']);
  });

  it('net/http: a pattern with a host, and a computed pattern left unresolved', async () => {
    const dir = project({
      'main.go': `package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("PUT example.com/items/{id}", put)\n\tp := prefix()\n\thttp.Handle(p+"/x", nil)\n}\n`,
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(shown(result), ['PUT /items/{id}']);
    assert.equal(result.unresolvedRoutes.length, 1);
    assert.ok(routeServes(result.routes[0], { method: 'PUT', path: '/items/:id' }));
  });

  it("net/http: a ServeMux pattern ending in / is a subtree (/products/*), {$} is exact, / is the catch-all; file:line:col kept", async () => {
    const dir = project({
      'main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("/products/", products)\n\tmux.HandleFunc("GET /cart/{$}", cart)\n\tmux.HandleFunc("GET /users/{id}/", user)\n\thttp.HandleFunc("/", index)\n\tmux.Handle("/{$}", home)\n}\n',
    });
    const result = await scanGoModule(dir);
    const of = (path: string) => result.routes.find((r) => r.path === path)!;
    assert.deepEqual(result.routes.map((r) => [r.method, r.path, r.line, r.col, r.subtree ?? false, r.catchAll ?? false]), [
      ['*', '/products/*', 7, 2, true, false],
      ['GET', '/cart/{$}', 8, 2, false, false],
      ['GET', '/users/{id}/*', 9, 2, true, false],
      ['*', '/', 10, 2, false, true],
      ['*', '/{$}', 11, 2, false, false],
    ]);
    const serves = (r: typeof result.routes[number], method: string, path: string) => routeServes(r, { method, path });
    // The subtree: its root with the slash, and every path under it...
    for (const path of ['/products/', '/products/:id', '/products/{id}', '/products/*', '/products/:id/reviews']) assert.ok(serves(of('/products/*'), 'GET', path), path);
    assert.ok(serves(of('/users/{id}/*'), 'GET', '/users/:userId/orders/:id'));
    // ...but not the root without it (a 301), nor a neighbour.
    for (const path of ['/products', '/productsX', '/products-x/1']) assert.ok(!serves(of('/products/*'), 'GET', path), path);
    assert.ok(subtreeRedirect(of('/products/*'), { method: 'GET', path: '/products' }));
    assert.ok(!subtreeRedirect(of('/products/*'), { method: 'GET', path: '/products/' }));
    assert.ok(!subtreeRedirect(of('/users/{id}/*'), { method: 'POST', path: '/users/:id' }), 'GET only');
    // {$} is that path exactly.
    assert.ok(serves(of('/cart/{$}'), 'GET', '/cart/'));
    assert.ok(!serves(of('/cart/{$}'), 'GET', '/cart/:id'));
    // The catch-all claims only / as served; it may serve any other path, which the route check says.
    assert.ok(serves(of('/'), 'GET', '/'));
    for (const path of ['/products', '/prodcts/:id', '/x/y']) assert.ok(!serves(of('/'), 'GET', path), path);
    assert.ok(catchAllMayServe(of('/'), { method: 'DELETE' }));
    assert.ok(!catchAllMayServe(of('/{$}'), { method: 'GET' }));
  });

  it('gorilla/mux and chi: a trailing / is one exact path, not a subtree; a ServeMux beside them still has subtrees', async () => {
    const dir = project({
      'gorilla.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/gorilla/mux"\n)\n\nfunc routes() {\n\tr := mux.NewRouter()\n\tr.HandleFunc("/products/", list).Methods("GET")\n\tadmin := http.NewServeMux()\n\tadmin.HandleFunc("/debug/", debug)\n}\n',
      'chi.go': 'package main\n\nimport "github.com/go-chi/chi/v5"\n\nfunc chiRoutes() {\n\tr := chi.NewRouter()\n\tr.Get("/orders/", list)\n\tr.HandleFunc("/files/", files)\n}\n',
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(result.routes.map((r) => [r.file, r.method, r.path, r.subtree ?? false]).sort(), [
      ['chi.go', '*', '/files/', false],
      ['chi.go', 'GET', '/orders/', false],
      ['gorilla.go', '*', '/debug/*', true],
      ['gorilla.go', 'GET', '/products/', false],
    ]);
    const gorilla = result.routes.find((r) => r.path === '/products/')!;
    assert.ok(!routeServes(gorilla, { method: 'GET', path: '/products/:id' }));
  });

  it('net/http: a router sloctl reads, mounted on a ServeMux pattern, is no route of its own (its routes are)', async () => {
    const dir = project({
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/gorilla/mux"\n)\n\nfunc main() {\n\tr := mux.NewRouter()\n\tr.HandleFunc("/api/products/{id}", get).Methods("GET")\n\thttp.Handle("/api/", r)\n\tinner := http.NewServeMux()\n\tinner.HandleFunc("GET /orders", list)\n\thttp.Handle("/", inner)\n\thttp.Handle("/static/", http.FileServer(http.Dir(".")))\n}\n',
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(result.routes.map((r) => `${r.method} ${r.path}`).sort(), ['* /static/*', 'GET /api/products/{id}', 'GET /orders']);
    // So a typo under the mount is not claimed served by it.
    assert.ok(!result.routes.some((r) => routeServes(r, { method: 'GET', path: '/api/prodcts/:id' })));
  });
});
