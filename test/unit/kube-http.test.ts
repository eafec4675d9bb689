import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { agentCount, reuseConnections } from '../../src/kube/http.js';

function kubeConfig(server = 'https://127.0.0.1:6443', token = 't'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from('not-a-real-ca').toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** What client-node's generated API clients do before each request. */
async function agentForRequest(kc: KubeConfig): Promise<unknown> {
  let agent: unknown;
  const headers: Record<string, string> = {};
  await kc.applySecurityAuthentication({ setAgent: (a: unknown) => (agent = a), setHeaderParam: (k: string, v: string) => (headers[k] = v) } as never);
  expect(headers.Authorization).toBe('Bearer t');
  return agent;
}

describe('reuseConnections', () => {
  it('without it, client-node builds a new agent per request (the problem)', async () => {
    const kc = kubeConfig();
    expect(await agentForRequest(kc)).not.toBe(await agentForRequest(kc));
  });

  it('hands out one keep-alive agent for API calls and watches with the same TLS options', async () => {
    const kc = reuseConnections(kubeConfig());
    const a = await agentForRequest(kc);
    expect(await agentForRequest(kc)).toBe(a);
    expect((a as { keepAlive?: boolean }).keepAlive).toBe(true);
    // Watches and informers go through applyToFetchOptions: same TLS options, same agent.
    const fetchOpts = await kc.applyToFetchOptions({});
    expect(fetchOpts.agent).toBe(a);
    expect(agentCount(kc)).toBe(1);
  });

  it('is idempotent and keeps KubeConfigs with different clusters apart', async () => {
    const one = reuseConnections(reuseConnections(kubeConfig()));
    const two = reuseConnections(kubeConfig('https://127.0.0.1:7443'));
    expect(await agentForRequest(one)).not.toBe(await agentForRequest(two));
    expect(agentCount(one)).toBe(1);
  });
});
