import { quoteQualified } from '@ferry/pg';
import { destinationRelations, kindName, type ExistingRelation, type MappedTable } from './destination-tables.js';
import { count, listNames } from './name-list.js';
import { originPrefixTwins, otherTasksClaims, type TableClaim } from './table-claims.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'conflicting-tables';

export const conflictingTables: Precheck = {
  id: ID,
  title: 'destination tables that already exist',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const results: CheckResult[] = [];
    for (const destination of ctx.task.destinations) {
      const { mapped, existing } = await destinationRelations(ctx, destination);
      results.push(
        ...conflictResults(mapped, existing, {
          where: `destination "${destination.name}"`,
          createsSchema: ctx.phases.includes('schema'),
          mode: ctx.task.conflictingTables,
        }),
      );
      // Many-to-one: another task writing this destination must not share a table with this one.
      const claims = await otherTasksClaims(await ctx.destination(destination), mapped.map((m) => m.destination), ctx.task.name);
      results.push(...claimResults(mapped, claims, { where: `destination "${destination.name}"`, mode: ctx.task.conflictingTables }));
      const twins = await originPrefixTwins(await ctx.destination(destination), ctx.task.name);
      if (twins.length > 0) {
        results.push({
          id: ID,
          status: 'error',
          message: `task "${ctx.task.name}" and task ${twins.map((t) => `"${t}"`).join(', ')} on destination "${destination.name}" differ only in "-" and "_": their replication origins, slots and publications would share names`,
          fix: 'give this task a name that differs in a letter or digit',
          objects: twins,
        });
      }
    }
    return results;
  },
};

export interface ConflictOptions {
  where: string;
  /** The schema phase creates the tables; without it they must exist already. */
  createsSchema: boolean;
  mode: 'error' | 'ignore';
}

/** Pure: compares the destination names the task will create with what exists there. */
export function conflictResults(mapped: readonly MappedTable[], existing: readonly ExistingRelation[], options: ConflictOptions): CheckResult[] {
  const key = (s: string, t: string) => JSON.stringify([s, t]);
  const found = new Map(existing.map((r) => [key(r.schema, r.table), r]));
  const display = (m: MappedTable) => {
    const dest = `${m.destination.schema}.${m.destination.table}`;
    const src = `${m.source.schema}.${m.source.table}`;
    return dest === src ? dest : `${dest} (from ${src})`;
  };

  if (!options.createsSchema) {
    // Without the schema phase the tables must be there already, and as tables.
    const missing = mapped.filter((m) => !isTable(found.get(key(m.destination.schema, m.destination.table))));
    if (missing.length === 0) {
      return [{ id: ID, status: 'pass', message: `every destination table exists in ${options.where} (${count(mapped.length, 'table')} checked; the schema phase is not run)` }];
    }
    return [
      {
        id: ID,
        status: 'error',
        message: `the schema phase is not run, but ${count(missing.length, 'table')} the task writes ${missing.length === 1 ? 'does' : 'do'} not exist as a table in ${options.where}: ${listNames(missing.map(display))}`,
        fix: 'add schema to phases (phases: [schema, full, incremental]), or create those tables in the destination first',
        objects: missing.map((m) => `${m.destination.schema}.${m.destination.table}`),
      },
    ];
  }

  const conflicts = mapped.filter((m) => found.has(key(m.destination.schema, m.destination.table)));
  if (conflicts.length === 0) {
    return [{ id: ID, status: 'pass', message: `no destination table exists yet in ${options.where} (${count(mapped.length, 'table')} checked)` }];
  }
  const described = conflicts.map((m) => {
    const kind = found.get(key(m.destination.schema, m.destination.table))!.kind;
    return kind === 'r' ? display(m) : `${display(m)} [a ${kindName(kind)}]`;
  });
  const objects = conflicts.map((m) => `${m.destination.schema}.${m.destination.table}`);
  if (options.mode === 'ignore') {
    return [
      {
        id: ID,
        status: 'warning',
        message:
          `${count(conflicts.length, 'table')} already exist${conflicts.length === 1 ? 's' : ''} in ${options.where} and will be used as ${conflicts.length === 1 ? 'it is' : 'they are'} (conflictingTables: ignore): ${listNames(described)}. ` +
          `Rows with the same key are overwritten, and a different column layout fails the copy`,
        fix: 'make sure their columns match the source, or drop them and let the schema phase create them',
        objects,
      },
    ];
  }
  return [
    {
      id: ID,
      status: 'error',
      message: `${count(conflicts.length, 'table')} already exist${conflicts.length === 1 ? 's' : ''} in ${options.where}: ${listNames(described)}`,
      fix:
        `drop them (DROP TABLE ${conflicts.slice(0, 5).map((m) => quoteQualified(m.destination.schema, m.destination.table)).join(', ')}${conflicts.length > 5 ? ', ...' : ''};), ` +
        'migrate them under other names (objects.rename), or set conflictingTables: ignore to write into them as they are',
      objects,
    },
  ];
}

/** Pure: destination tables of this task that another task's sink writes too (recorded in ferry.task_tables). */
export function claimResults(mapped: readonly MappedTable[], claims: readonly TableClaim[], options: Omit<ConflictOptions, 'createsSchema'>): CheckResult[] {
  if (claims.length === 0) return [];
  const described = claims.map((c) => {
    const ours = mapped.find((m) => m.destination.schema === c.schema && m.destination.table === c.table);
    const from = ours ? `${ours.source.schema}.${ours.source.table}` : '?';
    return `${c.schema}.${c.table} (from ${from} here, and from ${c.sourceTable} by task "${c.task}")`;
  });
  const objects = [...new Set(claims.map((c) => `${c.schema}.${c.table}`))];
  const shared = `${count(objects.length, 'table')} of ${options.where} ${objects.length === 1 ? 'is' : 'are'} written by another task too: ${listNames(described)}`;
  if (options.mode === 'ignore') {
    return [
      {
        id: ID,
        status: 'warning',
        message: `${shared}. With conflictingTables: ignore both tasks write ${objects.length === 1 ? 'it' : 'them'}: keys must not overlap, and a TRUNCATE or a restarted snapshot of either empties the whole table`,
        fix: 'keep the tasks apart with objects.rename (e.g. rename.schemas: { public: <source name> }) unless merging is intended',
        objects,
      },
    ];
  }
  return [
    {
      id: ID,
      status: 'error',
      message: `${shared}; both would overwrite each other's rows`,
      fix: 'map this task\'s tables to other names with objects.rename (e.g. rename.schemas: { public: <source name> }), or, to merge sources with disjoint keys on purpose, set conflictingTables: ignore',
      objects,
    },
  ];
}

function isTable(relation: ExistingRelation | undefined): boolean {
  return relation !== undefined && (relation.kind === 'r' || relation.kind === 'p');
}
