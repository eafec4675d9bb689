import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { join } from 'node:path';
import { parseBindAddress, withPort } from './config/bind-address.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { OperatorConfig } from './config/schema.js';
import { loadKubeConfig, serverOf } from './kube/config.js';
import { AccessReviewer } from './kube/access-review.js';
import { LeaderElector } from './kube/leader.js';
import { createNotifier } from './notify/index.js';
import { OperatorMetrics } from './observability/metrics.js';
import { startHealthServer, startMetricsServer, type ListeningServer } from './observability/servers.js';
import { startOperator, type RunningOperator } from './operator.js';

// Entry point: config is read and validated once, here, then passed in.

const SHUTDOWN_GRACE_MS = 10_000;
/** Of that: running reconciles, then the lease release and notification drain (each bounded) run after. */
const RECONCILE_DRAIN_MS = 4_000;
/** Kept back from the notification drain for closing the servers and exiting before the watchdog fires. */
const EXIT_MARGIN_MS = 1_000;

function leaseNamespace(config: OperatorConfig): string {
  if (config.leaderElection.namespace) return config.leaderElection.namespace;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim();
  } catch {
    throw new ConfigError(
      'leaderElection.namespace is required when leader election is enabled outside a cluster (or set POD_NAMESPACE / NODEBOUNCE_LEADER_ELECTION_NAMESPACE)',
      ['leaderElection.namespace'],
    );
  }
}

async function run(config: OperatorConfig, log: Logger): Promise<void> {
  const kubeConfig = loadKubeConfig();
  log.info({ server: serverOf(kubeConfig) }, 'starting');

  const metrics = new OperatorMetrics();
  // Webhook notifications (no-op unless a URL is configured); only the active instance reconciles, so only
  // it sends.
  // Aborted when this instance must stop acting: every API request of the operator still in flight is aborted
  // before the Lease is released (or right away when leadership was lost), so no late write of ours races a
  // successor's; its watches stop and the notifier takes no new message. The lease's own requests are not on it.
  const acting = new AbortController();
  const notifier = createNotifier(config.notifications, log, acting.signal);
  metrics.setNotificationStatsSource(() => ({ ...notifier.stats }));
  let operator: RunningOperator | undefined;
  let elector: LeaderElector | undefined;
  const servers: ListeningServer[] = [];
  let stopping = false;

  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason: why }, 'shutting down');
    const forceAt = Date.now() + SHUTDOWN_GRACE_MS - 500;
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(code || 1);
    }, forceAt - Date.now());
    force.unref();
    try {
      // Stop taking work; running reconciles get a few seconds to finish (state is in status either way), so the
      // whole shutdown fits SHUTDOWN_GRACE_MS even when the API server does not answer.
      await operator?.stop(RECONCILE_DRAIN_MS);
      acting.abort(new Error(`stopped acting: ${why}`));
      // Release the lease so a standby takes over at once; meanwhile send queued notifications, bounded by
      // notifications.drainTimeoutMs and by what is left of the grace (up to 8 s of drain after up to 4 s of
      // reconciles would otherwise outlast the watchdog and exit 1).
      await Promise.all([elector?.stop(), notifier.stop(forceAt - EXIT_MARGIN_MS - Date.now())]);
      await Promise.all(servers.map((s) => s.close()));
    } catch (err) {
      log.error({ err }, 'error while stopping');
      code = code || 1;
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
  process.on('SIGINT', () => void stop(0, 'SIGINT'));

  const becomeActive = async () => {
    try {
      operator = await startOperator({
        kubeConfig,
        acting: acting.signal,
        config,
        log,
        metrics,
        hooks: [notifier],
        rolloutHooks: [notifier.rollouts],
      });
      if (stopping) await operator.stop();
    } catch (err) {
      log.error({ err }, 'operator failed to start');
      void stop(1, 'start failed');
    }
  };

  const healthAddress = withPort(parseBindAddress(config.healthProbeBindAddress), config.healthPort);
  const metricsAddress = withPort(parseBindAddress(config.metricsBindAddress), config.metricsPort);
  if (healthAddress) {
    servers.push(
      await startHealthServer(
        healthAddress,
        // A standby under leader election is ready; the leader once its watches are synced.
        {
          ready: () => (elector && !elector.isLeader ? true : (operator?.ready ?? false)),
          stuck: () => {
            const ms = operator?.controller.queue.longestRunningMs() ?? 0;
            return ms > config.api.reconcileStuckSeconds * 1000
              ? `a reconcile has been running for ${Math.round(ms / 1000)}s`
              : undefined;
          },
        },
        log,
      ),
    );
  }
  if (metricsAddress) {
    const certDir = config.metricsCertPath;
    const reviewer = config.metricsSecure
      ? new AccessReviewer(kubeConfig, {
          path: '/metrics',
          ttlMs: config.metricsAuthCacheSeconds * 1000,
          maxEntries: config.metricsAuthCacheSize,
          requestTimeoutMs: config.api.requestTimeoutSeconds * 1000,
        })
      : undefined;
    servers.push(
      await startMetricsServer(
        {
          address: metricsAddress,
          secure: reviewer && {
            review: (token) => reviewer.review(token),
            certFile: certDir && join(certDir, config.metricsCertName),
            keyFile: certDir && join(certDir, config.metricsCertKey),
          },
        },
        metrics,
        log,
      ),
    );
  }

  if (!config.leaderElection.enabled) {
    metrics.leaderStatus.set({ name: config.leaderElection.leaseName }, 1);
    await becomeActive();
    return;
  }
  const le = config.leaderElection;
  metrics.leaderStatus.set({ name: le.leaseName }, 0);
  elector = new LeaderElector(kubeConfig, {
    namespace: leaseNamespace(config),
    name: le.leaseName,
    identity: `${process.env.POD_NAME ?? hostname()}_${randomUUID().slice(0, 8)}`,
    leaseDurationSeconds: le.leaseDurationSeconds,
    renewDeadlineSeconds: le.renewDeadlineSeconds,
    retryPeriodSeconds: le.retryPeriodSeconds,
    requestTimeoutSeconds: config.api.requestTimeoutSeconds,
    log,
    onStartedLeading: () => {
      metrics.leaderStatus.set({ name: le.leaseName }, 1);
      void becomeActive();
    },
    onStoppedLeading: () => {
      // No longer the leader: nothing of ours may still be in flight (a successor may already act).
      acting.abort(new Error('lost leadership'));
      metrics.leaderStatus.set({ name: le.leaseName }, 0);
      // Like controller-runtime: a process that lost the lease exits and is restarted as a standby.
      void stop(1, 'lost leadership');
    },
    onLeaderChange: (holder) => log.info({ leader: holder ?? null }, 'leader election: current leader'),
  });
  log.info({ lease: `${leaseNamespace(config)}/${le.leaseName}` }, 'leader election: standing by');
  elector.start();
}

async function main(): Promise<void> {
  let config: OperatorConfig;
  try {
    config = loadConfig(process.env, process.env.NODEBOUNCE_CONFIG, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nodebounce-operator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { component: 'nodebounce-operator' } });
  try {
    await run(config, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nodebounce-operator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`nodebounce-operator: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`);
  process.exit(1);
});

main().catch((err: unknown) => {
  process.stderr.write(`nodebounce-operator: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
