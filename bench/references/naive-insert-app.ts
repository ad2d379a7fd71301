/**
 * Reference (c), the naive design: a NestJS + Fastify route that writes its audit-sized row with
 * one Prisma INSERT per request (the gateway's generated client on @prisma/adapter-pg, pool 10)
 * and answers once it is committed. This is what a team would write first.
 */
import 'reflect-metadata';
import { createHmac, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { BENCH_EVENT_COLUMNS } from '../lib/postgres.js';

interface RawClient {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $disconnect(): Promise<void>;
}
type RawClientClass = new (options: { adapter: PrismaPg }) => RawClient;

// The gateway's own generated client, loaded from its build, so the reference pays the same
// per-query cost the gateway's repositories pay.
const clientModule = pathToFileURL(
  path.resolve(process.env.GATEWAY_DIST ?? 'dist', 'generated/prisma/client.js'),
).href;
const { PrismaClient } = (await import(clientModule)) as { PrismaClient: RawClientClass };
const prisma = new PrismaClient({
  adapter: new PrismaPg(new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })),
});
const pepper = Buffer.from('naive-reference-pepper-naive-reference-pepper');
const placeholders = BENCH_EVENT_COLUMNS.split(',')
  .map((column, index) =>
    ['verdict', 'upstream'].includes(column.trim()) ? `$${index + 1}::jsonb` : `$${index + 1}`,
  )
  .join(', ');
const insert = `INSERT INTO bench_event (${BENCH_EVENT_COLUMNS}) VALUES (${placeholders})`;

interface CheckBody {
  phoneNumber: string;
  serviceType: string;
}

@Controller()
class NaiveController {
  @Post('event')
  @HttpCode(200)
  async record(
    @Body() body: CheckBody,
  ): Promise<{ success: boolean; data: { validNumber: boolean } }> {
    const phoneHash = createHmac('sha256', pepper).update(body.phoneNumber).digest('hex');
    const verdict = { validNumber: true };
    await prisma.$executeRawUnsafe(
      insert,
      randomUUID(),
      'cli_0001',
      'api_key',
      'fp-5f2c9d1e8a7b',
      'client',
      'cred-0001',
      'verify',
      'authmatech',
      body.serviceType,
      'ZAIN_JO',
      phoneHash,
      `**********${body.phoneNumber.slice(-2)}`,
      'success',
      JSON.stringify(verdict),
      200,
      3,
      '127.0.0.1',
      'autocannon',
      JSON.stringify([{ operatorId: 'ZAIN_JO', status: 200, latencyMs: 1 }]),
      phoneHash,
      createHmac('sha256', pepper).update(phoneHash).digest('hex'),
    );
    return { success: true, data: verdict };
  }

  @Get('ready')
  ready(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [NaiveController] })
class NaiveModule {}

const app = await NestFactory.create<NestFastifyApplication>(
  NaiveModule,
  new FastifyAdapter({ logger: false }),
  { logger: false },
);
app.enableShutdownHooks();
process.once('SIGTERM', () => void prisma.$disconnect());
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
