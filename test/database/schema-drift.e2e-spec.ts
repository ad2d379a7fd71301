import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type pg from 'pg';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

// Prisma's own schema parser (the wasm the CLI uses), so the test reads the schema as Prisma does.
const { get_dmmf } = createRequire(import.meta.url)('@prisma/prisma-schema-wasm') as {
  get_dmmf(params: string): string;
};

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName?: string | null }[];
    indexes: DmmfIndex[];
  };
}

const dmmf = JSON.parse(
  get_dmmf(
    JSON.stringify({
      prismaSchema: [['schema.prisma', readFileSync('prisma/schema.prisma', 'utf8')]],
    }),
  ),
) as Dmmf;

/** The PostgreSQL type Prisma's migrate would create for a field, as information_schema spells it. */
function expectedType(field: DmmfField): string {
  const [native, args] = field.nativeType ?? [undefined, []];
  const precision = args[0] !== undefined ? `(${args[0]})` : '';
  switch (native) {
    case 'VarChar':
      return `character varying${precision}`;
    case 'Char':
      return `character${precision}`;
    case 'Text':
      return 'text';
    case 'Uuid':
      return 'uuid';
    case 'Inet':
      return 'inet';
    case 'Timestamptz':
      return 'timestamp with time zone';
    case 'Timestamp':
      return 'timestamp without time zone';
    case 'Date':
      return 'date';
    case 'SmallInt':
      return 'smallint';
    case 'JsonB':
      return 'jsonb';
    case 'Json':
      return 'json';
    case undefined:
      break;
    default:
      throw new Error(`add native type ${native} to the drift test`);
  }
  if (field.kind === 'enum') return field.isList ? 'ARRAY' : 'USER-DEFINED';
  const scalar: Record<string, string> = {
    String: 'text',
    Int: 'integer',
    BigInt: 'bigint',
    Boolean: 'boolean',
    DateTime: 'timestamp without time zone',
    Json: 'jsonb',
    Bytes: 'bytea',
    Float: 'double precision',
    Decimal: 'numeric',
  };
  return field.isList ? 'ARRAY' : scalar[field.type];
}

interface ColumnRow {
  column_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
  character_maximum_length: number | null;
  datetime_precision: number | null;
}

function describeColumn(column: ColumnRow): {
  type: string;
  nullable: boolean;
  precision: number | null;
} {
  const length = column.character_maximum_length;
  return {
    type: length === null ? column.data_type : `${column.data_type}(${length})`,
    nullable: column.is_nullable === 'YES',
    precision: column.data_type.startsWith('timestamp') ? column.datetime_precision : null,
  };
}

/** Prisma's DateTime is timestamp(3) unless the native type gives another precision. */
function expectedPrecision(field: DmmfField): number | null {
  if (field.type !== 'DateTime') return null;
  const precision = field.nativeType?.[1][0];
  return precision === undefined ? 3 : Number(precision);
}

describeOnPostgres('schema.prisma and the migrations', () => {
  let database: TestDatabase;
  let client: pg.Client;
  const models = dmmf.datamodel.models;
  const tableOf = (model: DmmfModel): string => model.dbName ?? model.name;
  const columnOf = (model: DmmfModel, fieldName: string): string => {
    const field = model.fields.find((candidate) => candidate.name === fieldName);
    return field?.dbName ?? fieldName;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await database.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it.each(models.map((model) => [model.name, model] as const))(
    'model %s has its table, columns, types and nullability',
    async (_name, model) => {
      const columns = await client.query<ColumnRow>(
        `SELECT column_name, data_type, is_nullable, character_maximum_length, datetime_precision
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [tableOf(model)],
      );
      expect(columns.rows.length).toBeGreaterThan(0);
      const byName = new Map(columns.rows.map((row) => [row.column_name, row]));
      const scalarFields = model.fields.filter(
        (field) => field.kind === 'scalar' || field.kind === 'enum',
      );
      for (const field of scalarFields) {
        const column = byName.get(field.dbName ?? field.name);
        // Objects that name the field, so a failure says which one drifted.
        expect({ field: field.name, column: column && describeColumn(column) }).toEqual({
          field: field.name,
          // Prisma creates scalar lists as nullable arrays (`TEXT[]`) whatever the schema says.
          column: {
            type: expectedType(field),
            nullable: field.isList || !field.isRequired,
            precision: expectedPrecision(field),
          },
        });
      }
      // No column the schema does not know about.
      const known = new Set(scalarFields.map((field) => field.dbName ?? field.name));
      expect(columns.rows.map((row) => row.column_name).filter((name) => !known.has(name))).toEqual(
        [],
      );
    },
  );

  it('has every primary key, unique constraint and index the schema declares', async () => {
    const indexes = await client.query<{
      table: string;
      unique: boolean;
      primary: boolean;
      columns: string[];
    }>(
      `SELECT t.relname AS table, ix.indisunique AS unique, ix.indisprimary AS primary,
              array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indisprimary`,
    );
    const present = indexes.rows.map(
      (row) =>
        `${row.table}|${row.primary ? 'id' : row.unique ? 'unique' : 'normal'}|${row.columns.join(',')}`,
    );
    for (const index of dmmf.datamodel.indexes) {
      const model = models.find((candidate) => candidate.name === index.model)!;
      const key = `${tableOf(model)}|${index.type}|${index.fields.map((field) => columnOf(model, field.name)).join(',')}`;
      expect(present).toContain(key);
    }
  });

  it('has no table the schema lacks (besides Prisma’s own bookkeeping and partitions)', async () => {
    const tables = await client.query<{ tablename: string }>(
      `SELECT c.relname AS tablename FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    );
    const declared = new Set([...models.map(tableOf), '_prisma_migrations']);
    expect(tables.rows.map((row) => row.tablename).filter((name) => !declared.has(name))).toEqual(
      [],
    );
  });

  it('has every enum type the schema declares', async () => {
    const enums = await client.query<{ typname: string }>(
      "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'",
    );
    const present = enums.rows.map((row) => row.typname);
    for (const declared of dmmf.datamodel.enums)
      expect(present).toContain(declared.dbName ?? declared.name);
  });
});
