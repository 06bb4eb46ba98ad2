import type { ObjectId } from '../schema-model.js';
import type { TableSelection } from '../table-selection.js';
import type { RelationEntry } from './list-relations.js';
import type { CatalogDependency } from './read-dependencies.js';

export interface SelectedObjects {
  /** Tables, partitions, views, materialized views and sequences to carry. */
  relations: RelationEntry[];
  /** Schemas to create; their types, functions, procedures, aggregates and operators are carried too. */
  schemas: Set<string>;
}

/**
 * Which objects a task carries:
 * - tables, views and materialized views the selection includes; partitions
 *   follow their root table (its data lives in them);
 * - what those need, followed through pg_depend: sequences (column defaults),
 *   types and functions (column types, defaults, checks, triggers, indexes,
 *   views), and what those need;
 * - sequences the selection names;
 * - the schemas of all of the above and of the extensions.
 * Types, functions and operators are chosen by schema: the selection names
 * tables, and a schema that holds a chosen table or a needed type is carried whole.
 */
export function selectObjects(
  relations: readonly RelationEntry[],
  dependencies: readonly CatalogDependency[],
  selection: TableSelection,
  extensionSchemas: readonly string[],
): SelectedObjects {
  const byId = new Map(relations.map((relation) => [relation.id, relation]));
  const rootOf = (relation: RelationEntry): RelationEntry | undefined => {
    let current: RelationEntry | undefined = relation;
    for (let depth = 0; current?.parentId !== undefined && depth < 100; depth += 1) current = byId.get(current.parentId);
    return current;
  };
  const selected = new Set<ObjectId>();
  for (const relation of relations) {
    if (relation.kind === 'sequence') continue;
    const root = rootOf(relation);
    if (root && selection.includesTable(root.schema, root.name)) selected.add(relation.id);
  }

  // A relation needs what it needs itself and what its constraints, triggers, indexes and rules need.
  const edgesFrom = new Map<ObjectId, CatalogDependency[]>();
  const addEdge = (key: ObjectId, dependency: CatalogDependency) => {
    const list = edgesFrom.get(key);
    if (list) list.push(dependency);
    else edgesFrom.set(key, [dependency]);
  };
  for (const dependency of dependencies) {
    addEdge(dependency.from, dependency);
    if (dependency.fromRelation !== null && dependency.fromRelation !== dependency.from) addEdge(dependency.fromRelation, dependency);
  }
  const schemas = new Set<string>(extensionSchemas);
  const visited = new Set<ObjectId>();
  const queue = [...selected];
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const dependency of edgesFrom.get(id) ?? []) {
      const target = dependency.to;
      if (visited.has(target)) continue;
      const relation = byId.get(target);
      if (relation?.kind === 'sequence') {
        visited.add(target);
        selected.add(target);
      } else if (/^pg_(type|proc|operator):/.test(target)) {
        visited.add(target);
        if (dependency.toSchema !== null) schemas.add(dependency.toSchema);
        queue.push(target);
      }
    }
  }

  for (const relation of relations) {
    if (relation.kind === 'sequence' && selection.includesTable(relation.schema, relation.name)) selected.add(relation.id);
  }
  const chosen = relations.filter((relation) => selected.has(relation.id));
  for (const relation of chosen) schemas.add(relation.schema);
  return { relations: chosen, schemas };
}
