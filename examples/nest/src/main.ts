/** The demo API on NestJS (Express platform), with an embedded stigg-local. Same walkthrough as examples/express. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { DEFAULT_API_KEY, startStiggLocal } from '@tollgate/stigg-local';
import { AppModule } from './app.module.js';

const external = process.env.STIGG_SERVER_API_KEY;
const stigg = external ? null : await startStiggLocal({ port: Number(process.env.STIGG_PORT ?? 4100) });
const app = await NestFactory.create(
  AppModule.register({
    apiKey: external ?? DEFAULT_API_KEY,
    baseUrl: external ? process.env.STIGG_BASE_URL : stigg!.url,
  }),
  new ExpressAdapter(),
);
app.enableShutdownHooks(); // SIGTERM: the module delivers pending usage before exit
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, '127.0.0.1');
console.log(`Tollgate demo API (Nest) on http://127.0.0.1:${port}${stigg ? `, stigg-local on ${stigg.url}` : ''}`);
console.log(`Try: curl -s http://127.0.0.1:${port}/api/analytics -H 'x-api-token: demo-pro'`);
process.once('beforeExit', () => void stigg?.close());
