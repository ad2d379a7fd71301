import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleRole } from '../../common/auth/caller.js';
import { Public } from '../../common/auth/public.decorator.js';
import { ConsoleSessionsService } from './console-sessions.service.js';
import { CONSOLE_PAGE_HEADERS, consoleShell, FORBIDDEN_PAGE } from './console-pages.js';
import { consoleResourceNotFound } from './console.errors.js';

/** Which roles may open the pages under a path (the server checks, not only the menu). */
const PAGE_ROLES: [string, ConsoleRole[]][] = [
  ['/console/admin', ['admin']],
  ['/console/audit', ['auditor', 'admin']],
  ['/console/client', ['client']],
];

/**
 * The console's HTML pages: the single-page application's shell for every page URL (its scripts
 * and styles are static files under /console/assets/). A signed-in user opening a page of
 * another role gets 403; someone not signed in gets the shell, which shows the sign-in form.
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsolePagesController {
  constructor(private readonly sessions: ConsoleSessionsService) {}

  @Get()
  root(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.page(request, reply);
  }

  @Get('*')
  any(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.page(request, reply);
  }

  private async page(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const pathname = request.url.split('?', 1)[0];
    // Unknown API paths and missing assets are JSON 404s, never the HTML shell.
    if (pathname.startsWith('/console/api/') || pathname.startsWith('/console/assets/')) {
      throw consoleResourceNotFound();
    }
    void reply.headers({ ...CONSOLE_PAGE_HEADERS, 'cache-control': 'no-store' });
    const html = consoleShell();
    if (html === null) {
      await reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run build`.');
      return;
    }
    const rule = PAGE_ROLES.find(
      ([prefix]) => pathname === prefix || pathname.startsWith(`${prefix}/`),
    );
    if (rule) {
      const user = await this.sessions.pageUser(request);
      if (user && !rule[1].includes(user.role)) {
        await reply.status(403).type('text/html; charset=utf-8').send(FORBIDDEN_PAGE);
        return;
      }
    }
    await reply.status(200).type('text/html; charset=utf-8').send(html);
  }
}
