import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'auth:public';

/** Read (and removed) by the OpenAPI document, which gives such routes an empty security list. */
export const PUBLIC_EXTENSION = 'x-public';

/** Opens a route to callers without credentials (health, documentation). Routes are closed by default. */
export const Public = (): ClassDecorator & MethodDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
