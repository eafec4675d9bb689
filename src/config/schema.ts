import { z } from 'zod';
import { Secret } from './secret.js';
import { labelSelectorProblems } from './label-selector.js';
import { parseBindAddress } from './bind-address.js';

// Operator configuration: parsed and validated once at start, then passed in. Defaults match the
// sample ExpressNode CRD (express.dev/v1alpha1) used by the tests and the demo.

const fieldPath = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dot-separated field path such as spec.state');
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label');
const bindAddress = z.string().superRefine((text, ctx) => {
  try {
    parseBindAddress(text);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
  }
});
const labelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'must be a label key');

/**
 * Reconciles at once. Each one waits on the API server most of its time (a new request: live reads, intent write,
 * eviction), so slots are cheap; 64 takes 100 NodeBounces created at once through preflight in about a quarter of
 * the time 16 did (docs/benchmarks.md). The API server's own flow control bounds the load.
 */
export const DEFAULT_MAX_CONCURRENT_RECONCILES = 64;

export const expressConfigSchema = z
  .object({
    group: z.string().min(1).default('express.dev'),
    version: z.string().min(1).default('v1alpha1'),
    kind: z
      .string()
      .regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a CamelCase kind')
      .default('ExpressNode'),
    plural: dnsLabel.default('expressnodes'),
    /** A pod maps to its controller ownerReference of this kind, else to the value of this label. */
    podLabel: labelKey.default('express.dev/node'),
    desiredState: z
      .object({
        path: fieldPath.default('spec.state'),
        downValues: z.array(z.string().min(1)).min(1).default(['down', 'stopped']),
      })
      .strict()
      .default({}),
    runtimeState: z
      .object({
        path: fieldPath.default('status.state'),
        rebuildingValues: z.array(z.string().min(1)).min(1).default(['rebuilding']),
        catchupValues: z.array(z.string().min(1)).default(['catchup', 'efficient-catchup']),
      })
      .strict()
      .default({}),
    shutdownProtection: z
      .object({
        path: fieldPath.default('spec.shutdownProtection'),
      })
      .strict()
      .default({}),
  })
  .strict();

/**
 * How Argo CD marks what it manages, so the operator can tell (TTL of a managed NodeBounce; "GitOps-managed" in
 * messages). Argo CD's `application.resourceTrackingMethod`: with `annotation` (the default since Argo CD 3.0) and
 * `annotation+label` it tracks by the `argocd.argoproj.io/tracking-id` annotation (the label of annotation+label is
 * informational only); with `label` by the instance label (`application.instanceLabelKey`). That label,
 * app.kubernetes.io/instance by default, is also set by Helm and many other tools, so it counts only with `label`.
 */
export const argoCdConfigSchema = z
  .object({
    trackingMethod: z.enum(['annotation', 'label', 'annotation+label']).default('annotation'),
    instanceLabelKey: labelKey.default('app.kubernetes.io/instance'),
  })
  .strict();

/**
 * Restoring an Express resource's shutdown protection after a bounce: failed attempts are retried with backoff
 * (2 s doubling to 2 min) until `maxAttempts` attempts or `maxDurationSeconds` since the first failure, whichever
 * comes first. Then the operator gives up: condition ShutdownProtectionRestored=False/RestoreFailed, a Warning
 * event, the gauge nodebounce_protection_unrestored, and the finalizer stays until someone releases the NodeBounce
 * (annotation bounce.express.dev/release-protection: "true").
 */
export const protectionRestoreConfigSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(1000).default(10),
    maxDurationSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(900),
  })
  .strict();

/**
 * Webhook notifications (Slack-compatible or generic JSON). The URL is a secret: set it from a Secret through
 * NODEBOUNCE_NOTIFY_WEBHOOK_URL; it is held as a Secret so it never shows in logs. Enabled when a URL is set,
 * unless `enabled: false`.
 */
export const notificationsConfigSchema = z
  .object({
    enabled: z.boolean().optional(),
    url: z
      .string()
      .url('must be an http(s) URL')
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
      .transform((u) => new Secret(u))
      .optional(),
    format: z.enum(['slack', 'json']).default('slack'),
    /** Shown in every message, to tell clusters apart in a shared channel. */
    clusterName: z.string().min(1).max(100).optional(),
    /** Per attempt. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Retries after the first attempt, with exponential backoff and jitter. */
    maxRetries: z.number().int().min(0).max(20).default(5),
    minBackoffMs: z.number().int().min(1).max(60_000).default(500),
    maxBackoffMs: z.number().int().min(1).max(600_000).default(30_000),
    /** Messages waiting to be sent; when full, the oldest is dropped (and counted). */
    queueSize: z.number().int().min(1).max(10_000).default(100),
    /** On shutdown, how long queued messages may still be sent (within the operator's 10 s shutdown grace). */
    drainTimeoutMs: z.number().int().min(0).max(8000).default(3000),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.enabled === true && !v.url) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['url'],
        message: 'required when notifications are enabled (set NODEBOUNCE_NOTIFY_WEBHOOK_URL)',
      });
    }
  })
  .transform(({ enabled, ...rest }) => ({ ...rest, enabled: enabled ?? rest.url !== undefined }));

/**
 * Deadlines for talking to the API server. Every request has one (client-node sets none): a hung connection
 * must fail the call, not hold a reconcile slot and a per-pod lock for ever.
 */
export const apiConfigSchema = z
  .object({
    /** Reads and writes of single objects (GET, PUT, PATCH, POST, DELETE, evictions). */
    requestTimeoutSeconds: z.number().min(0.1).max(120).default(10),
    /** LISTs (informer re-lists of whole namespaces or clusters, the live queue check). */
    listTimeoutSeconds: z.number().min(1).max(600).default(60),
    /**
     * Watches ask the server to end them after a random time in [min, max] (client-go style), so connections are
     * rebalanced and a half-dead one cannot live for ever.
     */
    watchTimeoutMinSeconds: z.number().int().min(1).max(3600).default(300),
    watchTimeoutMaxSeconds: z.number().int().min(1).max(3600).default(600),
    /**
     * A watch with no data (events or bookmarks, which the server sends about once a minute) for this long is
     * taken for a silent, broken connection and restarted from its last resourceVersion.
     */
    watchIdleTimeoutSeconds: z.number().min(1).max(3600).default(90),
    /** /healthz fails when a reconcile has been running this long (every call in it has a deadline). */
    reconcileStuckSeconds: z.number().min(1).max(3600).default(120),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.watchTimeoutMinSeconds > v.watchTimeoutMaxSeconds) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['watchTimeoutMinSeconds'],
        message: 'must not be greater than watchTimeoutMaxSeconds',
      });
    }
  });

/**
 * Prometheus endpoints a RollingBounce's alert gate may query, by name (`healthGate.prometheus.endpoint`). Chosen by
 * whoever installs the operator, never by a RollingBounce: the operator must not fetch URLs a namespace editor
 * names from its own network position (docs/rollingbounce.md). A base URL: http(s), no credentials, query or
 * fragment (a path prefix such as /prometheus is kept).
 */
export const prometheusConfigSchema = z
  .object({
    endpoints: z
      .record(
        z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label')
          .max(63),
        z
          .string()
          .url('must be an http(s) URL')
          .refine((u) => {
            try {
              const url = new URL(u);
              return (
                (url.protocol === 'http:' || url.protocol === 'https:') &&
                !url.username &&
                !url.password &&
                !url.search &&
                !url.hash &&
                !/[?#]/.test(u)
              );
            } catch {
              return false;
            }
          }, 'must be an http(s) base URL without credentials, query or fragment'),
      )
      .default({}),
  })
  .strict();

/**
 * A disruption budget across groups: at most this many pods disrupted at once (an unfinished NodeBounce that has
 * passed its check, whoever created it: src/rollout/unavailable.ts bounceInFlight), per namespace and in the whole
 * cluster. Unset: unlimited (the default for both). When either is set every NodeBounce checks it, under a lock, right
 * before its first side effect, and waiters are served round robin by owner (src/rollout/cross-budget.ts).
 */
export const disruptionBudgetConfigSchema = z
  .object({
    maxPerNamespace: z.number().int().min(1).max(100_000).optional(),
    maxInCluster: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

export const operatorConfigSchema = z
  .object({
    /** Namespaces to watch; empty means all namespaces (needs the ClusterRole). */
    watchNamespaces: z.array(dnsLabel).default([]),
    /**
     * Only pods with these labels are watched and cached (a label selector such as `express.dev/node` or
     * `app in (express)`); unset: every pod of the watched namespaces. Less memory where other workloads share the
     * namespaces. Every pod that is bounced, and its replacement, must match: a pod outside it looks absent.
     */
    podLabelSelector: z
      .string()
      .trim()
      .min(1)
      .max(1024)
      .superRefine((selector, ctx) => {
        for (const message of labelSelectorProblems(selector)) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      })
      .optional(),
    express: expressConfigSchema.default({}),
    /** NodeBounces reconciled in parallel; one reconcile per NodeBounce at a time regardless. */
    maxConcurrentReconciles: z.number().int().min(1).max(1000).default(DEFAULT_MAX_CONCURRENT_RECONCILES),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /**
     * Where /metrics and the probes listen (kubebuilder's --metrics-bind-address / --health-probe-bind-address):
     * host:port, :port (every interface) or 0 (off). Loopback by default, so a run on a laptop exposes nothing;
     * the image and the manifests listen on every interface.
     */
    metricsBindAddress: bindAddress.default('127.0.0.1:8443'),
    healthProbeBindAddress: bindAddress.default('127.0.0.1:8081'),
    /** Older keys: when set, replace the port of metricsBindAddress / healthProbeBindAddress. */
    metricsPort: z.number().int().min(0).max(65535).optional(),
    healthPort: z.number().int().min(0).max(65535).optional(),
    /**
     * /metrics over HTTPS, only to bearer tokens the API server authenticates (TokenReview) and authorizes for
     * `get /metrics` (SubjectAccessReview; ClusterRole nodebounce-metrics-reader). false: plain HTTP, no checks.
     */
    metricsSecure: z.boolean().default(true),
    /** Directory holding the serving certificate (a mounted Secret, e.g. cert-manager's); unset: self-signed. */
    metricsCertPath: z.string().min(1).optional(),
    metricsCertName: z.string().min(1).default('tls.crt'),
    metricsCertKey: z.string().min(1).default('tls.key'),
    /** How long a token's review is reused, and how many are kept at most. */
    metricsAuthCacheSeconds: z.number().min(0).max(3600).default(30),
    metricsAuthCacheSize: z.number().int().min(1).max(100_000).default(1024),
    leaderElection: z
      .object({
        enabled: z.boolean().default(false),
        leaseName: dnsLabel.default('nodebounce-operator'),
        /** Defaults to the pod's namespace (POD_NAMESPACE) when running in-cluster. */
        namespace: dnsLabel.optional(),
        leaseDurationSeconds: z.number().int().min(1).max(3600).default(15),
        renewDeadlineSeconds: z.number().int().min(1).max(3600).default(10),
        retryPeriodSeconds: z.number().int().min(1).max(3600).default(2),
      })
      .strict()
      .superRefine((v, ctx) => {
        // client-go's rules: a leader must give up (renew deadline) before a standby may take the lease (lease
        // duration, on the standby's clock), with room for clock rate skew; and it must get to retry in between.
        if (v.renewDeadlineSeconds >= v.leaseDurationSeconds)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['renewDeadlineSeconds'],
            message: `must be less than leaderElection.leaseDurationSeconds (${v.leaseDurationSeconds}): otherwise a standby may take the lease while the old leader still acts`,
          });
        if (v.renewDeadlineSeconds * 1.2 > v.leaseDurationSeconds && v.renewDeadlineSeconds < v.leaseDurationSeconds)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['renewDeadlineSeconds'],
            message: `must leave leaderElection.leaseDurationSeconds (${v.leaseDurationSeconds}) at least 20% more, for clock rate skew between the instances`,
          });
        if (v.retryPeriodSeconds >= v.renewDeadlineSeconds)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['retryPeriodSeconds'],
            message: `must be less than leaderElection.renewDeadlineSeconds (${v.renewDeadlineSeconds}): the leader must get to retry a failed renewal before giving up`,
          });
      })
      .default({}),
    notifications: notificationsConfigSchema.default({}),
    api: apiConfigSchema.default({}),
    argocd: argoCdConfigSchema.default({}),
    protectionRestore: protectionRestoreConfigSchema.default({}),
    prometheus: prometheusConfigSchema.default({}),
    disruptionBudget: disruptionBudgetConfigSchema.default({}),
  })
  .strict();

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;
export type ExpressConfig = z.infer<typeof expressConfigSchema>;
export type NotificationsConfig = z.infer<typeof notificationsConfigSchema>;
export type ApiConfig = z.infer<typeof apiConfigSchema>;
export type ArgoCdConfig = z.infer<typeof argoCdConfigSchema>;
export type DisruptionBudgetConfig = z.infer<typeof disruptionBudgetConfigSchema>;
export type ProtectionRestoreConfig = z.infer<typeof protectionRestoreConfigSchema>;

export const defaultExpressConfig: ExpressConfig = expressConfigSchema.parse({});
export const defaultOperatorConfig: OperatorConfig = operatorConfigSchema.parse({});
export const defaultArgoCdConfig: ArgoCdConfig = argoCdConfigSchema.parse({});
export const defaultProtectionRestoreConfig: ProtectionRestoreConfig = protectionRestoreConfigSchema.parse({});
