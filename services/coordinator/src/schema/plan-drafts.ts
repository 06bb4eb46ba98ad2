import type { CatalogCheck, DdlKind, DdlPart, DdlSection } from './ddl-plan.js';
import type { ObjectId } from './schema-model.js';

/**
 * A statement before ordering: what it creates and what must exist first, in
 * catalog ids. plan-ddl.ts builds drafts; resolve-plan-order.ts drops those
 * whose needs cannot be met and orders the rest.
 */
export interface Draft {
  section: DdlSection;
  kind: DdlKind;
  objectName: string;
  sql: string;
  existsQuery?: CatalogCheck;
  table?: { schema: string; table: string };
  parts?: DdlPart[];
  /** Catalog objects (and inline sub-objects) this statement creates. */
  provides: ObjectId[];
  /** Objects that must exist first, besides what pg_depend says about `provides`. */
  requires: ObjectId[];
  /** Columns of provided relations the statement really builds; pg_depend edges from other columns are ignored. */
  builtColumns?: ReadonlyMap<ObjectId, ReadonlySet<string>>;
}

/**
 * Ids that only order statements among themselves ("refresh:<matview id>"):
 * a missing provider is not a missing object.
 */
export function orderingId(kind: string, id: ObjectId): ObjectId {
  return `${kind}:${id}`;
}

/** Catalogs whose objects a plan creates: a need for one the plan does not create is unmet. */
const PLANNED_CATALOGS = new Set([
  'pg_namespace',
  'pg_extension',
  'pg_type',
  'pg_class',
  'pg_proc',
  'pg_operator',
  'pg_constraint',
  'pg_trigger',
  'pg_rewrite',
]);

/** The first oid PostgreSQL gives to objects created after initdb (FirstNormalObjectId). */
const FIRST_USER_OID = 16384;

/** True for a user-created object of a kind the plan creates (so its absence matters). */
export function isPlannableObject(id: ObjectId): boolean {
  const match = /^(pg_[a-z_]+):(\d+)$/.exec(id);
  if (!match) return false;
  return PLANNED_CATALOGS.has(match[1]!) && Number(match[2]) >= FIRST_USER_OID;
}
