import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config/load.js';
import { startOperator } from './operator.js';

// Entry point: config is read and validated once, here, then passed in.

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nodebounce-operator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { component: 'nodebounce-operator' } });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  log.info({ server: kubeConfig.getCurrentCluster()?.server }, 'starting');
  const operator = await startOperator({ kubeConfig, config, log });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    operator
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`nodebounce-operator: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`);
  process.exit(1);
});

main().catch((err: unknown) => {
  process.stderr.write(`nodebounce-operator: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
