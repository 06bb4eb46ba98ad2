/**
 * Counts of observations at or below each bound, plus sum and count: what a Prometheus
 * histogram exposes (`le` buckets are cumulative; +Inf is `count`).
 */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    this.bounds.forEach((bound, i) => {
      if (value <= bound) this.counts[i]! += 1;
    });
  }

  /** Cumulative buckets, last one +Inf. */
  buckets(): { le: number; count: number }[] {
    return [...this.bounds.map((le, i) => ({ le, count: this.counts[i]! })), { le: Number.POSITIVE_INFINITY, count: this.count }];
  }
}
