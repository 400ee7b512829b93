// Thread: main. Process entry: load config, start the broker, stop it cleanly on SIGTERM/SIGINT.
import { Broker } from './broker.js';
import { ConfigError, loadBrokerConfig } from './config/load-config.js';
import { createLogger } from './util/logger.js';

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
  const broker = new Broker(loaded.config, new Set(loaded.explicit.keys()), logger);
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    logger.info({ signal }, 'signal received');
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
    await broker.start();
  } catch (err) {
    logger.fatal({ err }, 'broker failed to start');
    process.exit(1);
  }
}

void main();
