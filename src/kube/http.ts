import type { KubeConfig } from '@kubernetes/client-node';

// client-node 1.x builds a new https.Agent for every request (KubeConfig.createAgent, called from
// applySecurityAuthentication / applyToHTTPSOptions), so every API call opens a new TCP + TLS connection and
// builds a new TLS SecureContext (parsing the CA and client key). Under load that dominated the operator's CPU
// (about 2/3 of it in a 200-bounce benchmark: getPeerCertificate, SecureContext, TLS start) and its memory.
// reuseConnections() makes a KubeConfig hand out one keep-alive agent per distinct set of TLS options instead.

const PATCHED = Symbol.for('nodebounce.reuseConnections');
const MAX_AGENTS = 8;

type AgentLike = { destroy?: () => void };
type Patchable = {
  createAgent(cluster: unknown, options: Record<string, unknown>): AgentLike;
  [PATCHED]?: Map<string, AgentLike>;
};

function optionKey(cluster: unknown, options: Record<string, unknown>): string {
  const c = cluster as { server?: string; proxyUrl?: string } | null | undefined;
  const entries = Object.entries(options ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : v]);
  return JSON.stringify([c?.server, c?.proxyUrl, entries]);
}

/**
 * Makes `kc` reuse keep-alive connections: requests with the same cluster and TLS options share one agent.
 * Idempotent; returns `kc` (patched in place, so every API client made from it benefits).
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as Patchable;
  if (target[PATCHED]) return kc;
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, AgentLike>();
  target.createAgent = (cluster, options) => {
    const key = optionKey(cluster, options);
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
      if (agents.size > MAX_AGENTS) {
        // Credentials rotated many times: drop the oldest (idle sockets close; busy ones finish first).
        const [oldestKey, oldest] = agents.entries().next().value as [string, AgentLike];
        agents.delete(oldestKey);
        oldest.destroy?.();
      }
    }
    return agent;
  };
  target[PATCHED] = agents;
  return kc;
}

/** Number of distinct agents a patched KubeConfig holds (for tests). */
export function agentCount(kc: KubeConfig): number {
  return (kc as unknown as Patchable)[PATCHED]?.size ?? 0;
}
