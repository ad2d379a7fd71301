import { createHash } from 'node:crypto';
import { Controller, Get, Header, Param, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { EMBEDDING_ORIGIN_HEADER } from '../credentials/browser-origin.guard.js';
import { OperatorParamsDto } from './dto/verify.dto.js';

/**
 * The check page's script. It runs on the gateway's origin inside the Web SDK's hidden iframe
 * (web variant). The embedding page hands it the SDK token by postMessage, never in a URL (URLs
 * end up in logs and Referer headers). The page then enriches with a same-origin request, so
 * the operator's network sees a plain request to the gateway. It names the embedding page's
 * origin, as the browser reported it in the message event, for the client's allowed-origins
 * check, and answers that origin only. The proof itself stays on the gateway (an enrichment
 * under a transactionId does not return it): the backend verifies with
 * POST /v1/api/verify/{transactionId}.
 */
const CHECK_SCRIPT = `(function () {
  'use strict';
  var started = false;
  var enrichment = location.pathname.replace(/\\/check\\/?$/, '');
  addEventListener('message', function (event) {
    var start = event.data;
    if (started || parent === window || event.source !== parent || !start || start.type !== 'mig:check:start') return;
    started = true;
    var origin = event.origin;
    function answer(status, body) {
      parent.postMessage({ type: 'mig:check:result', id: start.id, status: status, body: body }, origin);
    }
    fetch(enrichment + '?transactionId=' + encodeURIComponent(String(start.transactionId)), {
      headers: { 'X-SDK-TOKEN': String(start.sdkToken), 'X-CLIENT-ID': String(start.clientId), '${EMBEDDING_ORIGIN_HEADER}': origin },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (ignored) {}
        answer(response.status, body);
      });
    }).catch(function () { answer(0, null); });
  });
})();`;

const CHECK_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Mobile number check</title></head><body><script>${CHECK_SCRIPT}</script></body></html>`;

const SCRIPT_HASH = createHash('sha256').update(CHECK_SCRIPT).digest('base64');

/** Only the inline script above may run, and it may only talk to the gateway. Any page may frame it. */
const CHECK_PAGE_POLICY = `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; connect-src 'self'; base-uri 'none'; form-action 'none'`;

/** The web variant's check page (`initAuthmatechCheck`), loaded by the Web SDK in a hidden iframe. */
@ApiTags(Tags.verification)
@Controller()
export class CheckPageController {
  @Get('v1/he/:operatorId/check')
  @Public()
  @AuditAction('enrichment.check_page')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CHECK_PAGE_POLICY)
  @Header('referrer-policy', 'no-referrer')
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-store')
  @ApiProduces('text/html')
  @ApiOperation({
    summary:
      'Web variant: the page the Web SDK loads in a hidden iframe; it runs the enrichment for the transaction the SDK hands it by postMessage',
  })
  @ApiOkResponse({
    description:
      'The check page: HTML with one inline script, under a Content-Security-Policy that allows only that script.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  page(@Param() params: OperatorParamsDto, @Req() request: FastifyRequest): string {
    auditFacts(request).operatorId = params.operatorId;
    return CHECK_PAGE;
  }
}
