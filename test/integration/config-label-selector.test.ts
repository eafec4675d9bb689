// Our label selector parser agrees with the API server: every selector it accepts lists pods, every one it refuses
// gets 400 from the real kube-apiserver (so no podLabelSelector passes the config and then fails every LIST), and
// it selects the same pods (so PodNotWatched is said exactly for the pods the operator's watch leaves out).
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, uniqueName } from '../harness/index.js';
import { labelSelectorProblems, parseLabelSelector, selectorMatches } from '../../src/config/label-selector.js';
import { ACCEPTED_SELECTORS, MATCHING_CASES, REFUSED_SELECTORS, SELECTOR_PODS } from '../unit/label-selector-cases.js';

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfigPath'));
const core = kc.makeApiClient(CoreV1Api);

async function serverAnswer(labelSelector: string): Promise<number> {
  try {
    await core.listNamespacedPod({ namespace: 'default', labelSelector, limit: 1 });
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

describe('podLabelSelector check vs the API server', () => {
  it.each(ACCEPTED_SELECTORS)('%j: accepted by both', async (selector) => {
    expect(labelSelectorProblems(selector)).toEqual([]);
    expect(await serverAnswer(selector)).toBe(200);
  });

  it.each(REFUSED_SELECTORS.map(([selector]) => selector))('%j: refused by both', async (selector) => {
    expect(labelSelectorProblems(selector)).not.toEqual([]);
    expect(await serverAnswer(selector)).toBe(400);
  });
});

describe('podLabelSelector matching vs the API server', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await createNamespace(kc, uniqueName('it-selector'));
    for (const [name, labels] of Object.entries(SELECTOR_PODS)) {
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'registry.invalid/none' }] } },
      });
    }
  });
  afterAll(async () => {
    if (ns) await deleteNamespace(kc, ns);
  });

  it.each(MATCHING_CASES.map(([selector]) => selector))('%j: the same pods', async (selector) => {
    const server = (await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items
      .map((p) => p.metadata?.name ?? '')
      .sort();
    const { requirements } = parseLabelSelector(selector);
    const ours = (await core.listNamespacedPod({ namespace: ns })).items
      .filter((p) => selectorMatches(requirements, p.metadata?.labels))
      .map((p) => p.metadata?.name ?? '')
      .sort();
    expect(ours).toEqual(server);
  });
});
