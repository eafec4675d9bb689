import { describe, it } from 'vitest';
import { apiServerRestartScenario, assertAndReport } from '../integration/support/reliability-scenarios.js';

describe('chaos: kube-apiserver restarts during bounces', () => {
  it('50 bounces, the apiserver killed/stopped and restarted 3 times: all Succeeded', async () => {
    assertAndReport(await apiServerRestartScenario({ bounces: 50, restarts: 3 }));
  });
});
