import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { assertAndReport, faultScenario } from './support/reliability-scenarios.js';

// The operator reaches the apiserver only through a fault proxy (500/429/409, lost responses, cut watches).
describe('reliability: API faults between the operator and kube-apiserver', () => {
  // Watches are cut every few seconds, half cleanly (the response ends, as a server-side watch timeout does) and
  // half by resetting the connection, including right after a list, before the watch is established.
  it(
    '20 bounces with 10% injected 500/429/409, 3% lost write responses, watches ended or reset every 1-4 s',
    { timeout: 300_000 },
    async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(inject('kubeconfigPath'));
      const report = await faultScenario(kc, inject('auditLogPath'), {
        bounces: 20,
        errorRate: 0.1,
        lostResponseRate: 0.03,
        seed: 5,
        watchCut: 'mixed',
      });
      assertAndReport(report);
      expect(Object.values(report.proxy.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(report.proxy.watchCutsClean).toBeGreaterThan(0);
      expect(report.proxy.watchCutsReset).toBeGreaterThan(0);
    },
  );
});
