// The route scanner on NestJS: controllers' decorators joined with the project's global prefix,
// each route located at its method decorator, and what sloctl cannot place said, never guessed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { routeServes } from '../src/contract/route-paths.ts';
import { nestPath } from '../src/scan/ts-nest.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import type { ScanResult } from '../src/scan/types.ts';
import { writeProject } from './helpers/project.ts';

const fixture = fileURLToPath(new URL('fixtures/routes-nest', import.meta.url));

const project = (files: Record<string, string>): string => writeProject(files, 'sloctl-nest-');

const shown = (r: ScanResult) => r.routes.map((x) => `${x.method} ${x.prefixUnknown ? '…' : ''}${x.path}`).sort();
const MAIN = (prefix: string) => `import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\nconst app = await NestFactory.create(AppModule);\n${prefix}\nawait app.listen(3000);\n`;

describe('TypeScript route scanner: NestJS controllers', () => {
  it('reads the fixture: controller paths, method paths (a const, a list, none), the global prefix and its exclusion, each at its decorator', async () => {
    const r = await scanTypeScriptProject(fixture);
    assert.deepEqual(shown(r), ['DELETE /api/cats/:id', 'GET /api/cats', 'GET /api/cats/:id', 'GET /readyz', 'POST /api/cats', 'PUT /api/cats/:id', 'PUT /api/cats/:id/name']);
    const get = r.routes.find((x) => x.method === 'GET' && x.path === '/api/cats/:id')!;
    assert.deepEqual({ file: get.file, line: get.line, col: get.col, via: get.via }, { file: 'src/cats/cats.controller.ts', line: 19, col: 3, via: 'NestJS @Controller(\'cats\') @Get(BY_ID)' });
    assert.deepEqual(r.unresolvedRoutes, []);
    assert.deepEqual(r.warnings, []);
  });

  it('@Controller({ path }), a list of controller paths, @All, a namespace import and renamed imports; no prefix: paths are whole', async () => {
    const dir = project({
      'a.controller.ts': `import { Controller as C, Get as G, All } from '@nestjs/common';\n@C({ path: '/v2/dogs/' })\nexport class Dogs {\n  @G('/:id/')\n  one() {}\n  @All('legacy')\n  legacy() {}\n}\n`,
      'b.controller.ts': `import * as nest from '@nestjs/common';\n@nest.Controller(['birds', 'parrots'])\nexport class Birds {\n  @nest.Patch()\n  touch() {}\n  @nest.Head('/')\n  head() {}\n}\n`,
    });
    const r = await scanTypeScriptProject(dir);
    assert.deepEqual(shown(r), ['* /v2/dogs/legacy', 'GET /v2/dogs/:id', 'HEAD /birds', 'HEAD /parrots', 'PATCH /birds', 'PATCH /parrots']);
  });

  it('ignores decorators that are not Nest\'s, and classes without @Controller', async () => {
    const dir = project({
      'x.ts': `import { Get, Controller } from './my-decorators';\nimport { Injectable, Post } from '@nestjs/common';\n@Controller('cats')\nclass NotNest {\n  @Get(':id') one() {}\n}\n@Injectable()\nclass Service {\n  @Post('x') run() {}\n}\n`,
    });
    assert.deepEqual(shown(await scanTypeScriptProject(dir)), []);
  });

  it('a computed path is unresolved (named), never guessed', async () => {
    const dir = project({
      'c.controller.ts': `import { Controller, Get } from '@nestjs/common';\n@Controller(process.env.BASE)\nexport class C {\n  @Get('x') x() {}\n}\n@Controller('d')\nexport class D {\n  @Get(routeOf('y')) y() {}\n}\n`,
    });
    const r = await scanTypeScriptProject(dir);
    assert.deepEqual(shown(r), []);
    assert.deepEqual(r.unresolvedRoutes.map((u) => `${u.line}:${u.col} ${u.what}`), ['4:3 process.env.BASE', '8:3 routeOf(\'y\')']);
  });

  it('a computed global prefix, or two that differ, leaves only the end of each path known, with a warning at the call', async () => {
    const controller = `import { Controller, Get } from '@nestjs/common';\n@Controller('cats')\nexport class Cats {\n  @Get(':id') one() {}\n}\n`;
    const computed = await scanTypeScriptProject(project({ 'cats.controller.ts': controller, 'main.ts': MAIN('app.setGlobalPrefix(process.env.PREFIX);') }));
    assert.deepEqual(shown(computed), ['GET …/cats/:id']);
    assert.ok(routeServes(computed.routes[0], { method: 'GET', path: '/api/cats/{id}' }));
    assert.deepEqual(computed.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.message}`), ['main.ts:4:1 the NestJS global prefix here is computed at run time: the controllers\' routes are checked by the end of their paths only']);

    const two = await scanTypeScriptProject(project({ 'cats.controller.ts': controller, 'main.ts': MAIN("app.setGlobalPrefix('api');\nif (legacy) app.setGlobalPrefix('v0');") }));
    assert.deepEqual(shown(two), ['GET …/cats/:id']);
    assert.equal(two.warnings.length, 2);
    assert.match(two.warnings[0].message, /one of 2 different prefixes \("api", "v0"\)/);

    const same = await scanTypeScriptProject(project({ 'cats.controller.ts': controller, 'main.ts': MAIN("const PREFIX = '/api/';\napp.setGlobalPrefix(PREFIX);") }));
    assert.deepEqual(shown(same), ['GET /api/cats/:id']);
  });

  it('URI versioning and RouterModule put segments before the controller\'s path: only its end is known', async () => {
    const versioned = await scanTypeScriptProject(project({
      'cats.controller.ts': `import { Controller, Get, Version } from '@nestjs/common';\n@Controller({ path: 'cats', version: '1' })\nexport class Cats {\n  @Get() all() {}\n}\n@Controller('dogs')\nexport class Dogs {\n  @Version('2')\n  @Get() all() {}\n  @Get('plain') plain() {}\n}\n`,
      'main.ts': MAIN("app.setGlobalPrefix('api');"),
    }));
    assert.deepEqual(shown(versioned), ['GET /api/dogs/plain', 'GET …/cats', 'GET …/dogs']);

    const modules = await scanTypeScriptProject(project({
      'cats.controller.ts': `import { Controller, Get } from '@nestjs/common';\n@Controller('cats')\nexport class Cats {\n  @Get() all() {}\n}\n`,
      'app.module.ts': `import { Module } from '@nestjs/common';\nimport { RouterModule } from '@nestjs/core';\n@Module({ imports: [RouterModule.register([{ path: 'admin', module: AdminModule }])] })\nexport class AppModule {}\n`,
    }));
    assert.deepEqual(shown(modules), ['GET …/cats']);
    assert.match(modules.warnings[0].message, /^RouterModule puts module paths before the NestJS controllers' paths/);
  });

  it('joins paths as Nest does', () => {
    assert.equal(nestPath(), '/');
    assert.equal(nestPath('', ''), '/');
    assert.equal(nestPath('/api/', 'cats', ''), '/api/cats');
    assert.equal(nestPath('api', '/cats/', '/:id/'), '/api/cats/:id');
  });
});
