// The route scanners on the frameworks the CLI tests do not cover: Koa with @koa/router, Hono,
// gin, echo; and a plugin nobody visibly mounts (its paths are only ends). Go routers mounted in
// routers (chi's Mount, gorilla's PathPrefix, http.StripPrefix) are checked against the built
// binary of test/fixtures/routes-go-mounts as well.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { catchAllMayServe, routeServes, slashMismatch, subtreeRedirect } from '../src/contract/route-paths.ts';
import { scanGoModule } from '../src/scan/go.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import type { RegisteredRoute, ScanResult } from '../src/scan/types.ts';
import { buildGoFile } from './helpers/go-build.ts';
import { inCi, requireBinary } from './helpers/prometheus.ts';
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

  it('gin Handle and echo Add with the method as a net/http or echo constant (http.MethodPatch), not a path computed at run time', async () => {
    // A user trial: gin's `v1.Handle(http.MethodPatch, "/things/:id", h)` was listed by init as
    // `"/things/:id": a path computed at run time` and left out of the routes.
    const gin = project({
      'main.go': `package main\n\nimport (\n\tnethttp "net/http"\n\n\t"github.com/gin-gonic/gin"\n)\n\nfunc main() {\n\tr := gin.New()\n\tv1 := r.Group("/v1")\n\tv1.Handle(nethttp.MethodPatch, "/things/:id", h)\n\tr.Handle((nethttp.MethodGet), "/ping", h)\n\tr.Handle(method(), "/dyn", h)\n}\n`,
    });
    const g = await scanGoModule(gin);
    assert.deepEqual(shown(g), ['GET /ping', 'PATCH /v1/things/:id']);
    assert.equal(g.unresolvedRoutes.length, 1); // a method computed at run time stays unresolved
    const echo = project({
      'main.go': `package main\n\nimport (\n\t"net/http"\n\n\t"github.com/labstack/echo/v4"\n)\n\nfunc main() {\n\te := echo.New()\n\te.Add(http.MethodDelete, "/orders/:id", h)\n\te.Add(echo.PROPFIND, "/dav", h)\n}\n`,
    });
    const e = await scanGoModule(echo);
    assert.deepEqual(shown(e), ['DELETE /orders/:id', 'PROPFIND /dav']);
    assert.deepEqual(e.unresolvedRoutes, []);
  });

  it('a package main below the scanned package main is another program: left out, named (a user trial: a gin service and its stub dependency in inventory/)', async () => {
    const stub = `package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("GET /stock/{sku}", stock)\n\thttp.ListenAndServe(":4100", nil)\n}\n`;
    const dir = project({
      'main.go': `package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.New()\n\tr.GET("/users/:id", h)\n}\n`,
      'store/store.go': `package store\n\nimport "github.com/gin-gonic/gin"\n\nfunc Mount(r *gin.Engine) {\n\tr.POST("/orders", h)\n}\n`,
      'inventory/main.go': `// The stub.\n/* package main in a comment is not the clause */\npackage main // stub\n\n${stub.slice('package main\n'.length)}`,
      'inventory/handlers/h.go': `package handlers\n\nimport "net/http"\n\nfunc Register() {\n\thttp.HandleFunc("GET /restock", h)\n}\n`,
      'tools/gen/main.go': stub.replace('/stock/{sku}', '/gen'),
    });
    const r = await scanGoModule(dir);
    assert.deepEqual(shown(r), ['GET /users/:id', 'POST …/orders']);
    assert.deepEqual(r.otherPrograms, ['inventory', 'tools/gen']);
    assert.equal(r.filesScanned, 2);
    // From a module root that is not package main (cmd/api, cmd/worker), every program is read: which one is the service is not known.
    const root = project({
      'go.mod': 'module example.com/shop\n',
      'lib.go': 'package shop\n',
      'cmd/api/main.go': `package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.New()\n\tr.GET("/users/:id", h)\n}\n`,
      'cmd/stub/main.go': stub,
    });
    const all = await scanGoModule(root);
    assert.deepEqual(shown(all), ['GET /stock/{sku}', 'GET /users/:id']);
    assert.equal(all.otherPrograms, undefined);
  });

  it('whether a directory is a program is read from the parse: a clause in a string is not one, and a //go:build ignore file is not part of the package', async () => {
    const stub = `package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("GET /stock/{sku}", stock)\n}\n`;
    const dir = project({
      'main.go': `package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.New()\n\tr.GET("/users/:id", h)\n}\n`,
      // A template in a raw string, and a "/*" in a string that is not a comment: neither is the package's clause.
      'templates/tpl.go': `package templates\n\nimport "net/http"\n\nconst src = \`\npackage main\n\`\n\nfunc Register() {\n\thttp.HandleFunc("GET /templates", h)\n}\n`,
      'glob/glob.go': `package glob\n\nimport "net/http"\n\nconst all = "/*"\n\nfunc Register() {\n\thttp.HandleFunc("GET /glob", h)\n}\n\nconst x = "*/\npackage main"\n`,
      // A generator beside the package (go generate runs it; go build leaves it out): the directory is still a library.
      'gen/gen.go': `package gen\n\nimport "net/http"\n\nfunc Register() {\n\thttp.HandleFunc("GET /gen", h)\n}\n`,
      'gen/generate.go': `//go:build ignore\n\n${stub.replace('/stock/{sku}', '/generator')}`,
      'old/old.go': `// +build ignore\n\n${stub.replace('/stock/{sku}', '/old')}`,
      // Only a go:build ignore file: no package here at all, and its routes are not the service's.
      'tools/tool.go': `//go:build ignore\n\n${stub.replace('/stock/{sku}', '/tool')}`,
      'inventory/main.go': stub,
    });
    const r = await scanGoModule(dir);
    assert.deepEqual(shown(r), ['GET /gen', 'GET /glob', 'GET /templates', 'GET /users/:id']);
    assert.deepEqual(r.otherPrograms, ['inventory']);
    assert.equal(r.filesScanned, 4);
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

  it('net/http: "/products/{$}" is /products/ alone (ServeMux redirects /products to it); "/files/{rest...}" is a subtree like "/files/"', async () => {
    const dir = project({
      'main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /products/{$}", list)\n\tmux.HandleFunc("/files/{rest...}", files)\n}\n',
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(result.routes.map((r) => [r.method, r.path, r.subtree ?? false, r.trailingSlash?.router ?? '']), [
      ['GET', '/products/{$}', false, "Go's ServeMux"],
      ['*', '/files/{rest...}', true, ''],
    ]);
    const [exact, files] = result.routes;
    const serves = (r: typeof exact, path: string) => routeServes(r, { method: 'GET', path });
    assert.ok(serves(exact, '/products/'));
    assert.ok(!serves(exact, '/products'), 'a 301 to /products/, not the handler');
    assert.deepEqual(slashMismatch(exact, { method: 'GET', path: '/products' }), { kind: 'redirect', status: 301, because: '{$}: the pattern matches the path with its / alone' });
    for (const path of ['/files/', '/files/*', '/files/*rest', '/files/a/b']) assert.ok(serves(files, path), path);
    assert.ok(!serves(files, '/files'));
    assert.ok(subtreeRedirect(files, { method: 'GET', path: '/files' }));
  });

  it('gin, echo, gorilla/mux, chi keep a trailing /: the other spelling gets what the router answers, read from its settings anywhere in the package', async () => {
    const scan = async (files: Record<string, string>) => (await scanGoModule(project(files))).routes;
    const miss = (r: RegisteredRoute, path: string) => {
      assert.ok(!routeServes(r, { method: 'GET', path }), `${r.path} serves ${path}`);
      const answer = slashMismatch(r, { method: 'GET', path });
      return answer && `${answer.kind}: ${answer.because}`;
    };
    const gin = await scan({ 'main.go': 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/products/", list)\n\tv1 := r.Group("/v1")\n\tv1.GET("/", index)\n\tv1.GET("/orders", orders)\n}\n' });
    assert.deepEqual(gin.map((r) => r.path), ['/products/', '/v1/', '/v1/orders']);
    assert.equal(miss(gin[0], '/products'), 'redirect: RedirectTrailingSlash, on by default');
    assert.equal(miss(gin[1], '/v1'), 'redirect: RedirectTrailingSlash, on by default');
    assert.equal(miss(gin[2], '/v1/orders/'), 'redirect: RedirectTrailingSlash, on by default');
    assert.ok(routeServes(gin[0], { method: 'GET', path: '/products/' }));
    const ginOff = await scan({ 'main.go': 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.New()\n\tr.RedirectTrailingSlash = false\n\tr.GET("/products/", list)\n}\n' });
    assert.equal(miss(ginOff[0], '/products'), 'not-found: RedirectTrailingSlash is off: r.RedirectTrailingSlash = false at main.go:7:2');

    const echo = await scan({
      'main.go': 'package main\n\nimport "github.com/labstack/echo/v4"\n\nfunc main() {\n\te := echo.New()\n\te.GET("/products/", list)\n\te.GET("/orders", orders)\n}\n',
      'mw.go': 'package main\n\nimport (\n\t"github.com/labstack/echo/v4"\n\t"github.com/labstack/echo/v4/middleware"\n)\n\nfunc use(e *echo.Echo) {\n\te.Pre(middleware.AddTrailingSlash())\n}\n',
    });
    assert.equal(miss(echo[0], '/products'), 'rewritten: middleware.AddTrailingSlash (mw.go:9:8) adds the slash');
    assert.equal(miss(echo[1], '/orders/'), 'not-found: without its trailing-slash middleware');

    const gorilla = await scan({ 'main.go': 'package main\n\nimport "github.com/gorilla/mux"\n\nfunc main() {\n\tr := mux.NewRouter()\n\tr.HandleFunc("/products/", list).Methods("GET")\n\tapi := r.PathPrefix("/api").Subrouter()\n\tapi.HandleFunc("/", index)\n}\n' });
    assert.deepEqual(gorilla.map((r) => r.path), ['/products/', '/api/']);
    assert.equal(miss(gorilla[0], '/products'), 'not-found: StrictSlash(false), the default');
    assert.equal(miss(gorilla[1], '/api'), 'not-found: StrictSlash(false), the default');
    const strict = await scan({ 'main.go': 'package main\n\nimport "github.com/gorilla/mux"\n\nfunc main() {\n\tr := mux.NewRouter().StrictSlash(true)\n\tr.HandleFunc("/products", list).Methods("GET")\n}\n' });
    assert.equal(miss(strict[0], '/products/'), 'redirect: StrictSlash(true) at main.go:6:7');

    const chi = await scan({ 'main.go': 'package main\n\nimport (\n\t"github.com/go-chi/chi/v5"\n\t"github.com/go-chi/chi/v5/middleware"\n)\n\nfunc main() {\n\tr := chi.NewRouter()\n\tr.Use(middleware.StripSlashes)\n\tr.Get("/orders", list)\n\tr.Get("/items/", items)\n\tr.Route("/api", func(r chi.Router) {\n\t\tr.Get("/", index)\n\t})\n}\n' });
    assert.deepEqual(chi.map((r) => r.path), ['/orders', '/items/', '/api']);
    assert.equal(miss(chi[0], '/orders/'), 'rewritten: middleware.StripSlashes (main.go:10:8) removes the slash');
    assert.equal(miss(chi[1], '/items'), 'not-found: without middleware.StripSlashes');
    // chi serves a Route's "/" at /api and /api/ alike.
    for (const path of ['/api', '/api/']) assert.ok(routeServes(chi[2], { method: 'GET', path }), path);
  });

  it("Node's routers compare paths without the trailing / as before (Express)", async () => {
    const result = await scanTypeScriptProject(project({ 'app.js': "const express = require('express');\nconst app = express();\napp.get('/products/', (req, res) => res.json([]));\napp.get('/orders', (req, res) => res.json([]));\n" }));
    assert.equal(result.routes.some((r) => r.trailingSlash), false);
    assert.ok(routeServes(result.routes[0], { method: 'GET', path: '/products' }));
    assert.ok(routeServes(result.routes[1], { method: 'GET', path: '/orders/' }));
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

  it('chi Method/MethodFunc and With(...), gorilla Methods(http.MethodGet): the method and prefix the router serves (promhttp-wrapped handlers are registered so)', async () => {
    const dir = project({
      'chi.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi"\n)\n\nfunc routes() {\n\tr := chi.NewRouter()\n\tr.Method("GET", "/products", h)\n\tr.MethodFunc(http.MethodPost, "/orders", f)\n\tr.Trace("/trace", f)\n\tr.Route("/admin", func(r chi.Router) {\n\t\tr.With(auth).Method(http.MethodPut, "/users/{id}", h)\n\t\tr.With(auth).Get("/stats", f)\n\t})\n}\n',
      'gorilla.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/gorilla/mux"\n)\n\nfunc groutes() {\n\tr := mux.NewRouter()\n\tr.Handle("/carts", h).Methods(http.MethodGet)\n\tr.HandleFunc("/carts/{id}", f).Methods(http.MethodGet, http.MethodDelete)\n}\n',
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(shown(result), ['DELETE /carts/{id}', 'GET /admin/stats', 'GET /carts', 'GET /carts/{id}', 'GET /products', 'POST /orders', 'PUT /admin/users/{id}', 'TRACE /trace']);
    assert.deepEqual(result.unresolvedRoutes, []);
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

  it('net/http: a router mounted under http.StripPrefix serves its routes under the stripped prefix (mounted in another file, nested, or computed)', async () => {
    const dir = project({
      'main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.Handle("/api/", http.StripPrefix("/api", api))\n\tv1 := http.NewServeMux()\n\tv1.HandleFunc("GET /orders/{id}", order)\n\tv1.HandleFunc("/", index)\n\tmux.Handle("/v1/", http.StripPrefix(V1, v1))\n\tp := prefix()\n\tother := http.NewServeMux()\n\tother.HandleFunc("/x", x)\n\tmux.Handle("/o/", http.StripPrefix(p, other))\n\thttp.ListenAndServe(":8080", mux)\n}\n\nconst V1 = "/v1"\n',
      'api.go': 'package main\n\nimport "github.com/gorilla/mux"\n\nvar api = mux.NewRouter().StrictSlash(true)\n\nfunc init() {\n\tapi.HandleFunc("/users/{id}", user).Methods("GET")\n\tadmin := api.PathPrefix("/admin").Subrouter()\n\tadmin.HandleFunc("/stats", stats).Methods("GET")\n}\n',
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(result.routes.map((r) => `${r.method} ${r.path}${r.subtree ? ' (subtree)' : ''}`).sort(), ['* /v1/* (subtree)', 'GET /api/admin/stats', 'GET /api/users/{id}', 'GET /v1/orders/{id}']);
    assert.ok(result.routes.some((r) => routeServes(r, { method: 'GET', path: '/api/users/:id' })));
    assert.ok(!result.routes.some((r) => routeServes(r, { method: 'GET', path: '/users/:id' })), 'StripPrefix: the router never sees /users at the top');
    assert.deepEqual(result.unresolvedRoutes.map((u) => `${u.file}:${u.line} ${u.what}`), ['main.go:14 "/x" under http.StripPrefix(p, …), computed at run time']);
  });

  it('chi Mount, gorilla PathPrefix(...).Handler, StripPrefix("/x/") and ("/x") under a ServeMux subtree, routes ending in a wildcard: what sloctl records is what the built service answers', async (t) => {
    const packages = 'golang-go golang-github-go-chi-chi-dev golang-github-gorilla-mux-dev golang-github-gin-gonic-gin-dev golang-github-labstack-echo-dev';
    const go = requireBinary(t, 'go', `apt-get install ${packages}`);
    if (!go) return;
    const missing = ['github.com/go-chi/chi', 'github.com/gorilla/mux', 'github.com/gin-gonic/gin', 'github.com/labstack/echo'].filter((p) => !existsSync(join('/usr/share/gocode/src', p)));
    if (missing.length > 0) {
      assert.ok(!inCi(), `${missing.join(', ')} missing; CI is set, so this is a failure, not a skip`);
      return t.skip(`${missing.join(', ')} missing (apt-get install ${packages})`);
    }
    const fixture = 'test/fixtures/routes-go-mounts';
    const result = await scanGoModule(fixture);
    const recorded = (file: string) => result.routes.filter((r) => r.file === file).map((r) => `${r.method} ${r.path}${r.subtree ? ' (subtree)' : ''}`);
    assert.deepEqual(recorded('chi.go'), ['GET /health', 'GET /api', 'GET /api/users/{id}', '* /static', '* /static/* (subtree)', '* /files/* (subtree)', 'GET /docs/* (subtree)', 'GET /blog/*', 'GET /v2/', 'GET /v2/orders']);
    assert.deepEqual(recorded('gin.go'), ['GET /health', 'GET /files/*rest (subtree)']);
    assert.deepEqual(recorded('echo.go'), ['GET /health', 'GET /files/* (subtree)']);
    assert.deepEqual(recorded('gorilla.go'), ['GET /health', '* /static/* (subtree)', '* /assets', '* /assets/* (subtree)', 'GET /api/items/{id}', 'GET /legacy/orders']);
    assert.deepEqual(recorded('servemux.go'), ['* /health', 'GET /cart/', 'GET /orders/', 'GET /orders/open']);
    assert.deepEqual(result.unresolvedRoutes, []);
    assert.deepEqual(result.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.message}`), [
      'servemux.go:16:22 http.StripPrefix("/shop/", shop) strips the / that shop\'s paths begin with: for /shop/x it passes x, which gorilla/mux answers with a 301 redirect to /x, out of the mount, so no route of shop is served under /shop/; strip "/shop" instead',
      'servemux.go:20:22 http.StripPrefix("/cart/", cart) strips the / that cart\'s paths begin with: for /cart/x it passes x, which chi answers with a 404, so no route of cart but its "/" (at /cart/) is served under /cart/; strip "/cart" instead',
    ]);

    const bin = buildGoFile(go, fixture, mkdtempSync(join(tmpdir(), 'sloctl-mounts-')));
    const svc = spawn(bin, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => svc.kill());
    const base: Record<string, string> = {};
    for await (const line of createInterface({ input: svc.stdout! })) {
      const [name, url] = line.split(' ');
      base[name] = url;
      if (Object.keys(base).length === 5) break;
    }
    const server: Record<string, string> = { 'chi.go': base.chi, 'gorilla.go': base.gorilla, 'servemux.go': base.servemux, 'gin.go': base.gin, 'echo.go': base.echo };
    const get = (file: string, path: string, method = 'GET') => fetch(server[file] + path, { method, redirect: 'manual' });
    // Every recorded route answers its handler: a parameter as 42, a subtree at its root and below.
    for (const r of result.routes) {
      const concrete = r.path.replace(/\{[^}]+\}/g, '42');
      // A plain route ending in a wildcard (chi's "/*" under Route("/blog")) serves its root without the / too.
      const wild = /\/\*\w*$/.test(concrete);
      const paths = r.subtree ? [concrete.replace(/\*\w*$/, ''), concrete.replace(/\*\w*$/, 'a/b')]
        : wild ? [concrete.replace(/\/\*\w*$/, ''), concrete.replace(/\*\w*$/, ''), concrete.replace(/\*\w*$/, 'a/b')] : [concrete];
      for (const path of paths) {
        const res = await get(r.file, path, r.method === '*' ? 'GET' : r.method);
        assert.equal(res.status, 200, `${r.file} ${r.method} ${r.path}: ${path} answered ${res.status}`);
      }
    }
    // What sloctl says is not served is not: a 404, or a 301 (out of the mount to a 404, or gin's to the wildcard's root).
    const notServed: Array<[string, string, number, string?]> = [
      ['chi.go', '/v2', 404], ['chi.go', '/files', 404], ['chi.go', '/docs', 404], ['chi.go', '/users/42', 404],
      ['gorilla.go', '/static', 404], ['gorilla.go', '/items/42', 404], ['gorilla.go', '/api/legacy/orders', 404],
      ['servemux.go', '/cart/items', 404], ['servemux.go', '/shop/widgets', 301, '/widgets'], ['servemux.go', '/widgets', 404],
      ['gin.go', '/files', 301, '/files/'], ['echo.go', '/files', 404], ['servemux.go', '/orders', 301, '/orders/'],
    ];
    for (const [file, path, status, location] of notServed) {
      assert.ok(!result.routes.some((r) => r.file === file && routeServes(r, { method: 'GET', path })), `sloctl says ${file} serves ${path}`);
      const res = await get(file, path);
      assert.equal(res.status, status, `${file} ${path}`);
      if (location !== undefined) assert.equal(res.headers.get('location'), location, `${file} ${path}`);
    }
    // And the route check says what the router answers for a subtree's root without its slash.
    const of = (file: string, path: string) => result.routes.find((r) => r.file === file && r.path === path)!;
    assert.equal(slashMismatch(of('gorilla.go', '/static/*'), { method: 'GET', path: '/static' })?.because, 'a PathPrefix matches only the paths that begin with it, StrictSlash or not');
    assert.equal(slashMismatch(of('chi.go', '/files/*'), { method: 'GET', path: '/files' })?.because, 'a Mount pattern ending in / matches only the paths below it');
    assert.ok(!subtreeRedirect(of('gorilla.go', '/static/*'), { method: 'GET', path: '/static' }), "no ServeMux 301: gorilla's is a 404");
    assert.equal(slashMismatch(of('chi.go', '/docs/*'), { method: 'GET', path: '/docs' })?.because, 'a pattern ending in /* matches only the paths below it');
    assert.deepEqual(slashMismatch(of('gin.go', '/files/*rest'), { method: 'GET', path: '/files' }), { kind: 'redirect', status: 301, otherMethods: 307, because: 'RedirectTrailingSlash, on by default' });
    assert.equal(slashMismatch(of('echo.go', '/files/*'), { method: 'GET', path: '/files' })?.kind, 'not-found');
    for (const file of ['gin.go', 'echo.go', 'chi.go']) assert.ok(!result.routes.some((r) => r.file === file && subtreeRedirect(r, { method: 'GET', path: '/files' })), `${file}: not ServeMux's 301`);
    // A router's "/" behind mux.Handle("/orders/", http.StripPrefix("/orders", r)): ServeMux redirects /orders.
    assert.deepEqual(slashMismatch(of('servemux.go', '/orders/'), { method: 'GET', path: '/orders' }), { kind: 'redirect', status: 301, because: 'the router is mounted at the subtree pattern "/orders/", which ServeMux reaches from /orders/ on' });
    // chi serves a Mount's "/" at /api and /api/ alike, and /v2/ alone for Mount("/v2/").
    for (const path of ['/api', '/api/']) assert.ok(routeServes(of('chi.go', '/api'), { method: 'GET', path }), path);
    assert.ok(!routeServes(of('chi.go', '/v2/'), { method: 'GET', path: '/v2' }));
  });

  it('chi: a Mount pattern ending in * is unresolved (chi panics on it), and a computed StripPrefix or Mount pattern too', async () => {
    const dir = project({
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi/v5"\n\t"github.com/gorilla/mux"\n)\n\nfunc main() {\n\tr := chi.NewRouter()\n\tsub := chi.NewRouter()\n\tsub.Get("/x", x)\n\tr.Mount("/api/*", sub)\n\tr.Mount("/raw/*", h)\n\tother := chi.NewRouter()\n\tother.Get("/y", y)\n\tr.Mount(base(), other)\n\tg := mux.NewRouter()\n\tinner := mux.NewRouter()\n\tinner.HandleFunc("/z", z)\n\tg.PathPrefix("/p").Handler(http.StripPrefix(base(), inner))\n}\n',
    });
    const result = await scanGoModule(dir);
    assert.deepEqual(shown(result), []);
    assert.deepEqual(result.unresolvedRoutes.map((u) => `${u.line} ${u.what}`), [
      '13 "/x" under Mount("/api/*", …), which chi refuses when the service starts (Mount panics: "wildcard \'*\' must be the last value in a route")',
      '15 "/raw/*", which chi refuses when the service starts (Mount panics: "wildcard \'*\' must be the last value in a route")',
      '17 "/y" under Mount(base(), …), computed at run time',
      '21 "/z" under http.StripPrefix(base(), …), computed at run time',
    ]);
  });
});

