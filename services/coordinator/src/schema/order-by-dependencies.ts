import { FerryError } from '@ferry/core';

export interface OrderItem {
  /** Lower runs earlier when nothing else decides. */
  priority: number;
  /** Indexes (into the same list) of the items that must run first. */
  after: readonly number[];
  /** Names the item in the cycle error. */
  label: string;
}

/**
 * A topological order that otherwise keeps (priority, position) order: at each
 * step the ready item with the lowest priority, then the earliest position,
 * runs next. Returns the item indexes in run order; a dependency cycle is an
 * error naming the objects on it.
 */
export function orderByDependencies(items: readonly OrderItem[]): number[] {
  const waitingOn = items.map((item, index) => new Set(item.after.filter((before) => before !== index)).size);
  const dependents: number[][] = items.map(() => []);
  items.forEach((item, index) => {
    for (const before of new Set(item.after)) {
      if (before === index) continue;
      if (before < 0 || before >= items.length) throw new RangeError(`dependency index ${before} out of range`);
      dependents[before]!.push(index);
    }
  });

  const ready = new MinHeap<number>((a, b) => items[a]!.priority - items[b]!.priority || a - b);
  waitingOn.forEach((count, index) => {
    if (count === 0) ready.push(index);
  });
  const order: number[] = [];
  while (ready.size > 0) {
    const index = ready.pop()!;
    order.push(index);
    for (const dependent of dependents[index]!) {
      waitingOn[dependent]! -= 1;
      if (waitingOn[dependent] === 0) ready.push(dependent);
    }
  }
  if (order.length < items.length) {
    const cycle = findCycle(items, new Set(order));
    throw new FerryError('SCHEMA_DEPENDENCY_CYCLE', `cannot order the schema: ${cycle.map((i) => items[i]!.label).join(' → ')} depend on each other`, {
      fix: 'break the cycle in the source (for example move a column default that calls a function returning the table into a trigger), or exclude one of these objects',
    });
  }
  return order;
}

/** A cycle among the items that never became ready, as a path that ends where it starts. */
function findCycle(items: readonly OrderItem[], done: Set<number>): number[] {
  const state = new Map<number, 'open' | 'closed'>();
  const path: number[] = [];
  const visit = (index: number): number[] | undefined => {
    state.set(index, 'open');
    path.push(index);
    for (const before of items[index]!.after) {
      if (done.has(before) || before === index) continue;
      if (state.get(before) === 'open') return [...path.slice(path.indexOf(before)), before];
      if (!state.has(before)) {
        const found = visit(before);
        if (found) return found;
      }
    }
    path.pop();
    state.set(index, 'closed');
    return undefined;
  };
  for (let index = 0; index < items.length; index += 1) {
    if (done.has(index) || state.has(index)) continue;
    const found = visit(index);
    if (found) return found.reverse();
  }
  return [];
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.compare(items[left]!, items[smallest]!) < 0) smallest = left;
        if (right < items.length && this.compare(items[right]!, items[smallest]!) < 0) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
