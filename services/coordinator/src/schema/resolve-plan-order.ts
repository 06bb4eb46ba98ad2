import { DDL_KINDS, type DdlSection, type DdlStatement } from './ddl-plan.js';
import { orderByDependencies } from './order-by-dependencies.js';
import { isPlannableObject, type Draft } from './plan-drafts.js';
import type { Dependency, ObjectId } from './schema-model.js';

/**
 * Turns drafts into ordered statements:
 * 1. what each draft needs = its own `requires` + pg_depend edges of what it creates;
 * 2. drafts needing a user object that no statement creates are left out, with a
 *    warning, and so on for whatever needed them;
 * 3. a pre-data statement that needs a post-data one moves to post-data (a view
 *    over a materialized view);
 * 4. each section is sorted topologically, in DDL_KINDS order where free.
 */
export function resolvePlanOrder(drafts: readonly Draft[], dependencies: readonly Dependency[], warnings: string[]): DdlStatement[] {
  const edgesFrom = groupBy(dependencies, (dependency) => dependency.from);
  const describe = new Map<ObjectId, string>();
  for (const dependency of dependencies) describe.set(dependency.to, dependency.toDescription);
  drafts.forEach((draft) => draft.provides.forEach((id) => describe.set(id, `${draft.kind} ${draft.objectName}`)));

  const needs = drafts.map((draft) => {
    const own = new Set(draft.provides);
    const result = new Set(draft.requires);
    for (const id of draft.provides) {
      for (const edge of edgesFrom.get(id) ?? []) {
        const built = edge.fromColumn === undefined ? undefined : draft.builtColumns?.get(id);
        if (built && !built.has(edge.fromColumn!)) continue;
        result.add(edge.to);
      }
    }
    for (const id of own) result.delete(id);
    return [...result];
  });

  const alive = drafts.map(() => true);
  let providerOf = providers(drafts, alive);
  for (let changed = true; changed; ) {
    changed = false;
    drafts.forEach((draft, index) => {
      if (!alive[index]) return;
      const missing = needs[index]!.find((id) => !providerOf.has(id) && isPlannableObject(id));
      if (missing === undefined) return;
      alive[index] = false;
      changed = true;
      warnings.push(`${draft.kind} ${draft.objectName} is not migrated: it needs ${describe.get(missing) ?? missing}, which is not migrated`);
    });
    if (changed) providerOf = providers(drafts, alive);
  }

  const section: DdlSection[] = drafts.map((draft) => draft.section);
  for (let changed = true; changed; ) {
    changed = false;
    drafts.forEach((_draft, index) => {
      if (!alive[index] || section[index] === 'post-data') return;
      if (needs[index]!.some((id) => providerOf.has(id) && section[providerOf.get(id)!] === 'post-data')) {
        section[index] = 'post-data';
        changed = true;
      }
    });
  }

  const statements: DdlStatement[] = [];
  for (const current of ['pre-data', 'post-data'] as const) {
    const members = drafts.map((_draft, index) => index).filter((index) => alive[index] && section[index] === current);
    const position = new Map(members.map((draftIndex, i) => [draftIndex, i]));
    const items = members.map((draftIndex) => ({
      priority: DDL_KINDS.indexOf(drafts[draftIndex]!.kind),
      after: needs[draftIndex]!.map((id) => position.get(providerOf.get(id) ?? -1)).filter((i): i is number => i !== undefined),
      label: `${drafts[draftIndex]!.kind} ${drafts[draftIndex]!.objectName}`,
    }));
    for (const i of orderByDependencies(items)) statements.push(toStatement(drafts[members[i]!]!, current));
  }
  return statements;
}

function providers(drafts: readonly Draft[], alive: readonly boolean[]): Map<ObjectId, number> {
  const map = new Map<ObjectId, number>();
  drafts.forEach((draft, index) => {
    if (alive[index]) for (const id of draft.provides) if (!map.has(id)) map.set(id, index);
  });
  return map;
}

function toStatement(draft: Draft, section: DdlSection): DdlStatement {
  const statement: DdlStatement = { section, kind: draft.kind, objectName: draft.objectName, sql: draft.sql };
  if (draft.existsQuery) statement.existsQuery = draft.existsQuery;
  if (draft.table) statement.table = draft.table;
  if (draft.parts) statement.parts = draft.parts;
  return statement;
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  }
  return map;
}
