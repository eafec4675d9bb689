// The operator's metrics that are computed at scrape time from the controller's cache.
import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../src/observability/metrics.js';

describe('nodebounce_active_bounces_by_reason', () => {
  const scrape = async (m: OperatorMetrics) =>
    (await m.registry.getSingleMetricAsString('nodebounce_active_bounces_by_reason'))
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .sort();

  it('exports the waiting reasons as 0 when nothing waits, so a dashboard shows 0 and not "no data"', async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    expect(await scrape(m)).toEqual([
      'nodebounce_active_bounces_by_reason{phase="Pending",reason="WaitingForDisruptionBudget"} 0',
      'nodebounce_active_bounces_by_reason{phase="Pending",reason="WaitingForOtherBounce"} 0',
      'nodebounce_active_bounces_by_reason{phase="Terminating",reason="BlockedByPDB"} 0',
      'nodebounce_active_bounces_by_reason{phase="Terminating",reason="EvictionThrottled"} 0',
    ]);
  });

  it('exports what the controller counts, and forgets series that went away', async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    let now = [
      { phase: 'Terminating', reason: 'BlockedByPDB', count: 2 },
      { phase: 'Starting', reason: 'WaitingForReady', count: 1 },
    ];
    m.setActiveByReasonSource(() => now);
    expect(await scrape(m)).toEqual([
      'nodebounce_active_bounces_by_reason{phase="Pending",reason="WaitingForDisruptionBudget"} 0',
      'nodebounce_active_bounces_by_reason{phase="Pending",reason="WaitingForOtherBounce"} 0',
      'nodebounce_active_bounces_by_reason{phase="Starting",reason="WaitingForReady"} 1',
      'nodebounce_active_bounces_by_reason{phase="Terminating",reason="BlockedByPDB"} 2',
      'nodebounce_active_bounces_by_reason{phase="Terminating",reason="EvictionThrottled"} 0',
    ]);
    now = [];
    expect(await scrape(m)).not.toContainEqual(expect.stringContaining('WaitingForReady'));
  });
});

describe('nodejs_array_buffers_bytes', () => {
  it('reports the process ArrayBuffers apart from external memory, with the default metrics only', async () => {
    const held = Buffer.alloc(8 * 2 ** 20, 1); // 8 MB of ArrayBuffer memory held across the scrape
    const withDefaults = new OperatorMetrics();
    const text = await withDefaults.registry.getSingleMetricAsString('nodejs_array_buffers_bytes');
    const value = Number(/^nodejs_array_buffers_bytes (\S+)$/m.exec(text)?.[1]);
    expect(value).toBeGreaterThanOrEqual(held.length);
    expect(value).toBeLessThanOrEqual(process.memoryUsage().external);
    expect(await new OperatorMetrics({ defaultMetrics: false }).registry.metrics()).not.toContain(
      'nodejs_array_buffers_bytes',
    );
  });
});
