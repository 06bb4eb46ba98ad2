import { parseExposition, sampleValue, type Sample } from '@ferry/metrics';

export interface ServiceEndpoint {
  /** capture, sink:main... */
  name: string;
  /** http://127.0.0.1:port/metrics */
  url: string;
}

/** Totals read from the services' /metrics; null where a service did not answer. */
export interface ServiceTotals {
  capturedEvents: number | null;
  capturedBytes: number | null;
  appliedEvents: number | null;
  appliedBytes: number | null;
  snapshotRowsSent: number | null;
}

/** Reads every service's /metrics (1 s timeout each) and adds up what the console shows. */
export async function readServiceTotals(endpoints: readonly ServiceEndpoint[]): Promise<ServiceTotals> {
  const scraped = await Promise.all(endpoints.map(async (e) => ({ name: e.name, samples: await scrape(e.url) })));
  const capture = scraped.filter((s) => s.name === 'capture' && s.samples).map((s) => s.samples!);
  const sinks = scraped.filter((s) => s.name.startsWith('sink') && s.samples).map((s) => s.samples!);
  return {
    capturedEvents: total(capture, 'ferry_capture_events_total'),
    capturedBytes: total(capture, 'ferry_capture_bytes_total'),
    snapshotRowsSent: total(capture, 'ferry_snapshot_rows_total'),
    appliedEvents: total(sinks, 'ferry_sink_events_applied_total'),
    appliedBytes: total(sinks, 'ferry_sink_bytes_applied_total'),
  };
}

async function scrape(url: string): Promise<Sample[] | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    if (!response.ok) return null;
    return parseExposition(await response.text());
  } catch {
    return null;
  }
}

function total(services: Sample[][], name: string): number | null {
  if (services.length === 0) return null;
  return services.reduce((sum, samples) => sum + (sampleValue(samples, name) ?? 0), 0);
}
