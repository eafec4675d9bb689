// Real refusals from the API server for tests: a ValidatingAdmissionPolicy (CEL, no webhook) plus its binding,
// limited to one namespace, and a wait until the API server has loaded it (policies take effect asynchronously).
import {
  AdmissionregistrationV1Api,
  type KubeConfig,
  type V1MatchCondition,
  type V1NamedRuleWithOperations,
} from '@kubernetes/client-node';
import { waitUntil } from '../../harness/index.js';

export interface DenyPolicy {
  /** Cluster-wide name of the policy and its binding. */
  name: string;
  /** Only requests in this namespace are judged. */
  namespace: string;
  resourceRules: V1NamedRuleWithOperations[];
  /** CEL: the request is allowed when true. Default: refuse everything that matches. */
  expression?: string;
  message: string;
  /** E.g. only the operator's ServiceAccount. */
  matchConditions?: V1MatchCondition[];
  /** HTTP reason of the refusal (default Invalid, 422; Forbidden gives 403). */
  reason?: string;
}

export interface PolicyHandle {
  remove(): Promise<void>;
}

/** Creates the policy and binding; remove() deletes both (call it in afterAll/finally). */
export async function createDenyPolicy(kc: KubeConfig, p: DenyPolicy): Promise<PolicyHandle> {
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  const remove = async () => {
    await adm.deleteValidatingAdmissionPolicyBinding({ name: p.name }).catch(() => undefined);
    await adm.deleteValidatingAdmissionPolicy({ name: p.name }).catch(() => undefined);
  };
  await adm.createValidatingAdmissionPolicy({
    body: {
      metadata: { name: p.name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: p.resourceRules },
        ...(p.matchConditions ? { matchConditions: p.matchConditions } : {}),
        validations: [
          { expression: p.expression ?? 'false', message: p.message, ...(p.reason ? { reason: p.reason } : {}) },
        ],
      },
    },
  });
  try {
    await adm.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name: p.name },
        spec: {
          policyName: p.name,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } } },
        },
      },
    });
  } catch (err) {
    await remove();
    throw err;
  }
  return { remove };
}

/**
 * Waits until `probe` (a dry-run request the policy must refuse) is refused, so the policy is in force. `refused`
 * tells a refusal from other errors (default: any error).
 */
export async function waitUntilRefused(
  probe: () => Promise<unknown>,
  description: string,
  refused: (err: unknown) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<void> {
  await waitUntil(
    () =>
      probe().then(
        () => false,
        (err: unknown) => refused(err),
      ),
    { timeoutMs, intervalMs: 200, description },
  );
}
