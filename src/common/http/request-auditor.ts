import type { FastifyRequest } from 'fastify';

/**
 * Writes the audit event of a request and resolves once it is committed. Implemented by the
 * AuditModule; the exception filter calls it before sending an error, and the audit interceptor
 * before sending a success, so no response leaves without its event.
 */
export abstract class RequestAuditor {
  abstract recordRequest(request: FastifyRequest, status: number, errorCode: string | null): Promise<void>;
}
