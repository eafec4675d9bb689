import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { assertAndReport, faultScenario } from '../integration/support/reliability-scenarios.js';

describe('chaos: API faults between the operator and kube-apiserver', () => {
  it.each([
    [101, 0.1, 0.03],
    [202, 0.25, 0.05],
  ])('seed %i: 60 bounces, %f injected errors, %f lost write responses, watches cut every 1-4 s', async (seed, errorRate, lostResponseRate) => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('kubeconfigPath'));
    const report = await faultScenario(kc, inject('auditLogPath'), { bounces: 60, errorRate, lostResponseRate, seed });
    assertAndReport(report);
    expect(report.proxy.watchCutsClean + report.proxy.watchCutsReset).toBeGreaterThan(0);
  });
});
