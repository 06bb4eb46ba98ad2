/**
 * What read-source-schema.ts reads from a database's catalogs: plain data, no
 * SQL connection, so the planner and the comparer are pure functions of it.
 *
 * Names are source names, exactly as stored. SQL fragments (types, defaults,
 * expressions, view bodies) are PostgreSQL's own deparsed text, read with
 * search_path = pg_catalog so every name outside pg_catalog is schema-qualified.
 * Large numbers (sequence bounds) are decimal strings.
 */

/** A catalog object: "<catalog>:<oid>", e.g. "pg_class:16384". Stable within one read. */
export type ObjectId = string;

export interface QualifiedName {
  schema: string;
  name: string;
}

export interface SchemaModel {
  /** server_version_num of the database read, e.g. 130012. */
  serverVersion: number;
  schemas: SchemaInfo[];
  extensions: ExtensionInfo[];
  types: TypeInfo[];
  sequences: SequenceInfo[];
  tables: TableInfo[];
  indexes: IndexInfo[];
  views: ViewInfo[];
  routines: RoutineInfo[];
  aggregates: AggregateInfo[];
  operators: OperatorInfo[];
  triggers: TriggerInfo[];
  rules: RuleInfo[];
  /** Types, functions and relations that extensions own, by schema: names deparsed SQL may mention. */
  extensionObjects: QualifiedName[];
  /** "from needs to" edges between catalog objects (pg_depend, normal dependencies, mapped to owning objects). */
  dependencies: Dependency[];
  /** Objects the read saw but left out (C functions, unsupported kinds), for the plan's warnings. */
  notes: string[];
}

export interface Dependency {
  from: ObjectId;
  /** When only one column of the `from` table needs `to` (its type, its default): that column. */
  fromColumn?: string;
  to: ObjectId;
  /** pg_describe_object of `to`, for messages about objects that are not migrated. */
  toDescription: string;
}

export interface SchemaInfo {
  id: ObjectId;
  name: string;
  comment?: string;
}

export interface ExtensionInfo {
  id: ObjectId;
  name: string;
  /** The source's version; the destination installs its own default version. */
  version: string;
  schema: string;
}

interface TypeBase {
  id: ObjectId;
  schema: string;
  name: string;
  comment?: string;
}

export interface EnumType extends TypeBase {
  kind: 'enum';
  labels: string[];
}

export interface CompositeType extends TypeBase {
  kind: 'composite';
  attributes: Array<{ name: string; type: string; collation?: QualifiedName }>;
}

export interface RangeType extends TypeBase {
  kind: 'range';
  subtype: string;
  /** Only when not the subtype's default operator class. */
  subtypeOpclass?: QualifiedName;
  collation?: QualifiedName;
  canonical?: QualifiedName;
  subtypeDiff?: QualifiedName;
  /** PostgreSQL 14+. */
  multirangeName?: string;
}

export interface DomainType extends TypeBase {
  kind: 'domain';
  baseType: string;
  collation?: QualifiedName;
  default?: string;
  notNull: boolean;
  checks: Array<{ id: ObjectId; name: string; definition: string }>;
}

export type TypeInfo = EnumType | CompositeType | RangeType | DomainType;

export interface SequenceOptions {
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
}

export interface SequenceInfo extends SequenceOptions {
  id: ObjectId;
  schema: string;
  name: string;
  /** The column a serial sequence belongs to (OWNED BY). */
  ownedBy?: { schema: string; table: string; column: string };
  comment?: string;
}

export interface TableRef {
  schema: string;
  table: string;
}

export interface ColumnRef extends TableRef {
  column: string;
}

export interface ColumnInfo {
  name: string;
  /** format_type(atttypid, atttypmod). */
  type: string;
  /** Only when it differs from the type's default collation. */
  collation?: QualifiedName;
  default?: string;
  notNull: boolean;
  identity?: { generation: 'always' | 'by default'; sequence: QualifiedName & SequenceOptions };
  /** PostgreSQL 12+ (virtual: 18+). */
  generated?: { expression: string; storage: 'stored' | 'virtual' };
  /** Other columns of the same table that the default or generation expression reads. */
  expressionColumns: string[];
  /** False for a column a partition takes from its parent. */
  isLocal: boolean;
  comment?: string;
}

interface ConstraintBase {
  id: ObjectId;
  name: string;
  /** Columns of the constrained table the constraint uses (conkey; for checks, those the expression reads). */
  columns: string[];
  deferrable: boolean;
  initiallyDeferred: boolean;
  validated: boolean;
  /** Taken from a parent (partition); created by the parent's statement. */
  inherited: boolean;
  /** pg_get_constraintdef, for messages. */
  definition: string;
}

export interface KeyConstraint extends ConstraintBase {
  kind: 'primary-key' | 'unique';
  include: string[];
  nullsNotDistinct: boolean;
  indexOptions: string[];
}

export interface CheckConstraint extends ConstraintBase {
  kind: 'check';
  expression: string;
  noInherit: boolean;
}

export interface ExclusionConstraint extends ConstraintBase {
  kind: 'exclusion';
  index: IndexShape;
  /** One operator per key element, in order. */
  operators: QualifiedName[];
}

export interface ForeignKeyConstraint extends ConstraintBase {
  kind: 'foreign-key';
  referencedTable: TableRef;
  referencedColumns: string[];
  onUpdate: ForeignKeyAction;
  onDelete: ForeignKeyAction;
  /** PostgreSQL 15+: ON DELETE SET NULL (columns). */
  onDeleteColumns: string[];
  match: 'simple' | 'full' | 'partial';
}

export type ForeignKeyAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export type ConstraintInfo = KeyConstraint | CheckConstraint | ExclusionConstraint | ForeignKeyConstraint;

export interface TableInfo {
  id: ObjectId;
  schema: string;
  name: string;
  kind: 'table' | 'partitioned';
  unlogged: boolean;
  /** reloptions, "name=value". */
  options: string[];
  /** pg_get_partkeydef, e.g. "RANGE (created_at)". */
  partitionKey?: string;
  partitionOf?: { schema: string; table: string; parentId: ObjectId; bound: string };
  columns: ColumnInfo[];
  constraints: ConstraintInfo[];
  comment?: string;
}

export interface IndexElement {
  /** A plain column, or else an expression. */
  column?: string;
  expression?: string;
  collation?: QualifiedName;
  /** Only when not the default operator class. */
  opclass?: QualifiedName;
  descending: boolean;
  nullsFirst: boolean;
}

export interface IndexShape {
  method: string;
  elements: IndexElement[];
  include: string[];
  predicate?: string;
  options: string[];
}

export interface IndexInfo extends IndexShape {
  id: ObjectId;
  schema: string;
  name: string;
  table: TableRef;
  tableId: ObjectId;
  unique: boolean;
  nullsNotDistinct: boolean;
  /** Every column of the table the index uses (keys, expressions, predicate, include). */
  columns: string[];
  comment?: string;
}

export interface ViewInfo {
  id: ObjectId;
  schema: string;
  name: string;
  materialized: boolean;
  /** pg_get_viewdef, without the trailing semicolon. */
  definition: string;
  /** The view's output columns (format_type), for comparing views across major versions. */
  columns: Array<{ name: string; type: string }>;
  options: string[];
  /** Materialized views: whether the source holds data (REFRESH after creating). */
  populated: boolean;
  /** Columns of other relations the view reads. */
  readsColumns: ColumnRef[];
  comment?: string;
  columnComments: Array<{ column: string; comment: string }>;
}

export interface RoutineInfo {
  id: ObjectId;
  schema: string;
  name: string;
  kind: 'function' | 'procedure';
  language: string;
  /** format_type of each input argument, for the regprocedure that identifies it. */
  argumentTypes: string[];
  /** pg_get_function_identity_arguments: names and modes, for COMMENT ON. */
  identityArguments: string;
  /** pg_get_functiondef. */
  definition: string;
  comment?: string;
}

export interface AggregateInfo {
  id: ObjectId;
  schema: string;
  name: string;
  argumentTypes: string[];
  /** pg_get_function_identity_arguments; ordered-set aggregates include "ORDER BY". */
  identityArguments: string;
  kind: 'normal' | 'ordered-set' | 'hypothetical';
  transitionFunction: QualifiedName;
  stateType: string;
  stateSpace: number;
  finalFunction?: QualifiedName;
  finalExtra: boolean;
  finalModify?: 'read-only' | 'shareable' | 'read-write';
  combineFunction?: QualifiedName;
  serialFunction?: QualifiedName;
  deserialFunction?: QualifiedName;
  initialCondition?: string;
  movingTransitionFunction?: QualifiedName;
  movingInverseFunction?: QualifiedName;
  movingStateType?: string;
  movingStateSpace: number;
  movingFinalFunction?: QualifiedName;
  movingFinalExtra: boolean;
  movingFinalModify?: 'read-only' | 'shareable' | 'read-write';
  movingInitialCondition?: string;
  sortOperator?: QualifiedName;
  parallel: 'safe' | 'restricted' | 'unsafe';
  comment?: string;
}

export interface OperatorInfo {
  id: ObjectId;
  schema: string;
  name: string;
  leftType?: string;
  rightType?: string;
  function: QualifiedName;
  commutator?: QualifiedName;
  negator?: QualifiedName;
  restrict?: QualifiedName;
  join?: QualifiedName;
  hashes: boolean;
  merges: boolean;
}

export interface TriggerInfo {
  id: ObjectId;
  name: string;
  table: TableRef;
  tableId: ObjectId;
  timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  events: Array<'INSERT' | 'DELETE' | 'UPDATE' | 'TRUNCATE'>;
  updateColumns: string[];
  forEachRow: boolean;
  /** The WHEN condition, without its parentheses. */
  when?: string;
  function: QualifiedName;
  arguments: string[];
  /** CREATE CONSTRAINT TRIGGER. */
  constraint?: { deferrable: boolean; initiallyDeferred: boolean; referencedTable?: TableRef };
  oldTable?: string;
  newTable?: string;
  /** pg_trigger.tgenabled: O origin (default), D disabled, R replica, A always. */
  enabled: 'O' | 'D' | 'R' | 'A';
  /** Columns of its table the trigger uses (UPDATE OF, WHEN). */
  columns: string[];
}

export interface RuleInfo {
  id: ObjectId;
  name: string;
  table: TableRef;
  tableId: ObjectId;
  /** pg_get_ruledef, without the trailing semicolon. */
  definition: string;
  readsColumns: ColumnRef[];
}

/** Every object of a model with an id, for lookups. */
export function modelObjectIds(model: SchemaModel): Set<ObjectId> {
  const ids = new Set<ObjectId>();
  const add = (list: Array<{ id: ObjectId }>) => list.forEach((item) => ids.add(item.id));
  add(model.schemas);
  add(model.extensions);
  add(model.types);
  add(model.sequences);
  add(model.tables);
  add(model.indexes);
  add(model.views);
  add(model.routines);
  add(model.aggregates);
  add(model.operators);
  add(model.triggers);
  add(model.rules);
  for (const table of model.tables) add(table.constraints);
  for (const type of model.types) if (type.kind === 'domain') add(type.checks);
  return ids;
}
