import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { blackHoleScenario, hungLeaseScenario } from '../integration/support/hang-scenarios.js';
import { assertAndReport } from '../integration/support/reliability-scenarios.js';

describe('chaos: an API server that does not answer', () => {
  const admin = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('kubeconfigPath'));
    return kc;
  };

  it('black hole for 60 s in the middle of 20 bounces: all succeed, each pod disrupted once, no reconcile stuck', async () => {
    const report = await blackHoleScenario(admin(), inject('auditLogPath'), { bounces: 20, holeMs: 60_000 });
    assertAndReport(report);
    expect(report.blackHoled).toBeGreaterThan(0);
    expect(report.unhealthy).toEqual([]);
    expect(report.operatorExitCode).toBeNull();
  });

  it('a hung Lease renewal with 8 bounces in flight: one actor at a time', async () => {
    const report = await hungLeaseScenario(admin(), inject('auditLogPath'), { bounces: 8 });
    assertAndReport(report);
    expect(report.oldLeaderExitCode).toBe(1);
    expect(report.leaderStoppedAfterLastRenewMs as number).toBeLessThan(15_000);
    expect(report.gapBetweenLeadersMs as number).toBeGreaterThan(0);
  });
});
