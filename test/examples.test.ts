/** The demo behind `npm start` (examples/express) and the Hono example answer the walkthrough as printed. */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import { startStiggLocal } from '@tollgate/stigg-local';
import { createTollgate } from '@tollgate/core';
import { until } from './support/wait.js';
import { stiggUsage } from './support/stigg.js';
import { startDemo, walkthrough } from '../examples/express/src/main.js';
import { createApp as createHonoApp } from '../examples/hono/src/app.js';
import { AppModule as NestDemo } from '../examples/nest/src/app.module.js';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';

describe('examples', () => {
  it('npm start: the Express demo with an embedded stigg-local follows its walkthrough', async () => {
    const demo = await startDemo({ port: 0, stiggPort: 0 });
    try {
      expect(walkthrough(demo.url, demo.stigg!.url)).toContain(
        `curl -s ${demo.url}/api/analytics -H 'x-api-token: demo-pro'`,
      );
      expect((await request(demo.url).get('/api/analytics').set('x-api-token', 'demo-pro')).status).toBe(200);
      expect((await request(demo.url).get('/api/analytics').set('x-api-token', 'demo-free')).status).toBe(403);
      expect((await request(demo.url).post('/api/reports').set('x-api-token', 'demo-free')).status).toBe(200);
      await until(() => demo.tollgate.metrics().usage.inflight === 0, 'the request to settle');
      await demo.tollgate.flushUsage();
      expect((await request(demo.url).get('/api/usage').set('x-api-token', 'demo-free')).body).toMatchObject({
        used: 1,
        limit: 100,
      });
      demo.stigg!.admin.setUsage('customer-free', 'feature-api-calls', 100);
      await new Promise((r) => setTimeout(r, 100));
      const limited = await request(demo.url).post('/api/reports').set('x-api-token', 'demo-free');
      expect(limited.status).toBe(402);
      expect(limited.headers['retry-after']).toBeDefined();
      expect((await request(demo.url).get('/api/analytics').set('x-api-token', 'stranger')).status).toBe(401);
    } finally {
      await demo.close();
    }
  });

  it('the Hono example answers the same way', async () => {
    const stigg = await startStiggLocal({ log: () => {} });
    const tollgate = createTollgate({
      apiKey: 'server-tollgate-local',
      baseUrl: stigg.url,
      logger: { warn: () => {}, error: () => {} },
    });
    await tollgate.ready();
    const app = createServer(getRequestListener(createHonoApp(tollgate).fetch));
    try {
      expect((await request(app).get('/api/analytics').set('x-api-token', 'demo-pro')).status).toBe(200);
      expect((await request(app).get('/api/analytics').set('x-api-token', 'demo-free')).status).toBe(403);
      expect((await request(app).get('/api/export?format=parquet').set('x-api-token', 'demo-enterprise')).status).toBe(
        200,
      );
      expect((await request(app).post('/api/reports').set('x-api-token', 'demo-free')).status).toBe(200);
      await until(() => tollgate.metrics().usage.inflight === 0, 'the request to settle');
      await tollgate.flushUsage();
      expect((await request(app).get('/api/usage').set('x-api-token', 'demo-free')).body).toMatchObject({ used: 1 });
    } finally {
      await tollgate.close();
      await stigg.close();
    }
  });

  it('the Nest example answers the same way, and delivers usage on shutdown', async () => {
    const stigg = await startStiggLocal({ log: () => {} });
    const app = await NestFactory.create(
      NestDemo.register({
        apiKey: 'server-tollgate-local',
        baseUrl: stigg.url,
        logger: { warn: () => {}, error: () => {} },
      }),
      new ExpressAdapter(),
      { logger: false },
    );
    await app.init();
    const server = app.getHttpServer();
    try {
      expect((await request(server).get('/api/analytics').set('x-api-token', 'demo-pro')).status).toBe(200);
      expect((await request(server).get('/api/analytics').set('x-api-token', 'demo-free')).status).toBe(403);
      expect((await request(server).get('/api/projects').set('x-api-token', 'demo-enterprise')).body).toMatchObject({
        maxProjects: 'unlimited',
      });
      expect((await request(server).get('/api/export?format=parquet').set('x-api-token', 'demo-pro')).status).toBe(403);
      expect((await request(server).post('/api/reports').set('x-api-token', 'demo-free')).status).toBe(201);
      expect((await request(server).get('/api/analytics')).status).toBe(401);
    } finally {
      await app.close();
    }
    expect(await stiggUsage(stigg, 'customer-free')).toBe(1);
    await stigg.close();
  });
});
