/**
 * Reference (a), the HTTP limit: NestJS 12 + Fastify answering a constant JSON, built the way the
 * gateway builds its app (FastifyAdapter, no logger). Nothing else runs per request.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class ConstantController {
  @Get('constant')
  constant(): { success: boolean; data: { validNumber: boolean } } {
    return { success: true, data: { validNumber: true } };
  }

  @Get('ready')
  ready(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [ConstantController] })
class ConstantModule {}

const app = await NestFactory.create<NestFastifyApplication>(
  ConstantModule,
  new FastifyAdapter({ logger: false }),
  { logger: false },
);
app.enableShutdownHooks();
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
