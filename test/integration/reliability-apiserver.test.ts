import { describe, it } from 'vitest';
import { apiServerRestartScenario, assertAndReport } from './support/reliability-scenarios.js';

// kube-apiserver killed and restarted (same etcd) during a batch of bounces, on a control plane of its own
// (the shared one must stay up for the other test files).
describe('reliability: kube-apiserver restart during bounces', () => {
  it('50 bounces, the apiserver SIGKILLed once and restarted: all Succeeded', { timeout: 300_000 }, async () => {
    assertAndReport(await apiServerRestartScenario({ bounces: 50, restarts: 1 }));
  });
});
