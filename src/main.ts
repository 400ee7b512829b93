// Thread: main. Process entry: load config, start the broker, stop it cleanly on SIGTERM/SIGINT.
// Exit codes: 2 bad configuration, 1 any other start-up failure (one readable line on stderr,
// e.g. a Kafka port in use or a log directory locked by another broker), 0 after a clean stop.
import { Broker } from './broker.js';
import { ConfigError, loadBrokerConfig } from './config/load-config.js';
import { createLogger } from './util/logger.js';
import { describeStartupFailure } from './util/startup-error.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadBrokerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`strata: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(loaded.config['log.level']);
  for (const warning of loaded.warnings) logger.warn(warning);
  let broker: Broker | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    logger.info({ signal }, 'signal received');
    if (!broker) process.exit(0);
    stopping = broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    broker = new Broker(loaded.config, new Set(loaded.explicit.keys()), logger);
    await broker.start();
  } catch (err) {
    const { message, known } = describeStartupFailure(err);
    // The log line keeps the code (and, for an unexpected failure, the stack) for log collectors;
    // the terminal gets one line to act on.
    logger.fatal(known ? { code: (err as { code: string }).code } : { err }, `broker failed to start: ${message}`);
    process.stderr.write(`strata: cannot start the broker: ${message}\n`);
    process.exit(1);
  }
}

void main();
