import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ApiError, CommonCodes } from '../errors/api-error.js';

/** One page of a list: `{items, nextCursor}`, the shape of every list the gateway answers. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;

/**
 * `limit` and `cursor`: how every list is asked for. The cursor is the `nextCursor` of the page
 * before; lists are keyset-paged, so a page never repeats or skips an item when new ones arrive.
 */
export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: PAGE_LIMIT_MAX,
    default: PAGE_LIMIT_DEFAULT,
    description: 'Items per page.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_LIMIT_MAX)
  limit?: number;

  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page; omitted for the first page.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

/** The position after an item, as an opaque string (base64url JSON of the sort key's values). */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export const invalidCursor = (): ApiError =>
  new ApiError(
    400,
    CommonCodes.validation,
    'cursor must be the nextCursor of a previous page of this list.',
  );

/** The sort key a cursor holds, checked against the list's key shape ('s' string, 'n' integer). */
export function decodeCursor<const Shape extends readonly ('s' | 'n')[]>(
  cursor: string,
  shape: Shape,
): { [K in keyof Shape]: Shape[K] extends 's' ? string : number } {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const fits =
    Array.isArray(key) &&
    key.length === shape.length &&
    key.every((value, index) =>
      shape[index] === 's'
        ? typeof value === 'string' && value.length <= 200
        : Number.isSafeInteger(value),
    );
  if (!fits) throw invalidCursor();
  return key as { [K in keyof Shape]: Shape[K] extends 's' ? string : number };
}

/** Cuts the `limit + 1` rows a query fetched into a page: the extra row only says "there is more". */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => readonly (string | number)[],
): Page<Item> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
