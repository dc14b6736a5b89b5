// Development-time only (migration generator, drift test); the running service never loads this.
// The Prisma CLI cannot fetch its native schema engine here, so we drive the wasm build of the
// same engine directly, against throw-away in-memory PGlite databases (main and shadow).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { DiffTarget, SchemaEngine } from '@prisma/schema-engine-wasm';
import { childLogger } from '../log';
import { defaultMigrationsDir, readMigrations } from './migrations-dir';

const log = childLogger('db.schema-diff');

type Bindings = typeof import('@prisma/schema-engine-wasm') & {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
};

let bindings: Promise<Bindings> | undefined;

// The package's entry imports the .wasm file as an ES module, which Node 20 cannot do; wire the
// JS glue to a module we instantiate ourselves (what Prisma's own loader does).
function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    const glue = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as unknown as Bindings;
    const require = createRequire(path.join(process.cwd(), 'package.json'));
    const dir = path.dirname(require.resolve('@prisma/schema-engine-wasm'));
    const bytes = await readFile(path.join(dir, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return bindings;
}

export interface DiffOptions {
  /** Starting point: nothing, or the state the migrations folder produces. */
  from: 'empty' | 'migrations';
  schemaPath?: string;
  migrationsDir?: string;
}

/** SQL that takes `from` to the schema, or null when they already agree. */
export async function diffToSchema(options: DiffOptions): Promise<string | null> {
  const schemaPath = path.resolve(options.schemaPath ?? 'prisma/schema.prisma');
  const migrationsDir = path.resolve(options.migrationsDir ?? defaultMigrationsDir());
  const schema = await readFile(schemaPath, 'utf8');
  const from = options.from === 'empty' ? { tag: 'empty' as const } : await migrationsTarget(migrationsDir);

  const glue = await loadBindings();
  const [main, shadow] = await Promise.all([emptyPglite(), emptyPglite()]);
  let engine: SchemaEngine | undefined;
  try {
    engine = await glue.SchemaEngine.new(
      { datamodels: [[schemaPath, schema]] },
      (line: string) => log.debug({ engine: line }, 'schema engine'),
      bindMigrationAwareSqlAdapterFactory(throwAwayFactory(main, shadow)),
    );
    const result = await engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      // Exit code 2 means "non-empty diff": more reliable than parsing the script's comments.
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.exitCode === 2 ? (result.stdout ?? '') : null;
  } finally {
    engine?.free();
    await Promise.all([main.close(), shadow.close()]);
  }
}

// initdb costs seconds per PGlite; a copy of an empty one, a fraction of that.
let emptyDump: Promise<Blob> | undefined;

async function emptyPglite(): Promise<PGlite> {
  emptyDump ??= PGlite.create().then(async (pglite) => {
    try {
      return await pglite.dumpDataDir('none');
    } finally {
      await pglite.close();
    }
  });
  return PGlite.create({ loadDataDir: await emptyDump });
}

async function migrationsTarget(baseDir: string): Promise<DiffTarget> {
  const lockPath = path.join(baseDir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  const migrations = await readMigrations(baseDir);
  return {
    tag: 'migrations',
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
  };
}

// pglite-prisma-adapter's own shadow database is a PGlite nobody closes; we own both instances.
function throwAwayFactory(main: PGlite, shadow: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const mainFactory = new PrismaPGlite(main);
  return {
    provider: mainFactory.provider,
    adapterName: mainFactory.adapterName,
    connect: () => mainFactory.connect(),
    connectToShadowDb: () => new PrismaPGlite(shadow).connect(),
  };
}
