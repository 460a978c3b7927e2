// Starts one Bookinfo service from its configuration.
import type { ServiceConfig } from './config.ts';
import { detailsHandler } from './details.ts';
import { serve, type Handler, type RunningServer } from './http.ts';
import { createLogger, type Logger } from './log.ts';
import { productpageHandler } from './productpage.ts';
import { ratingsHandler } from './ratings.ts';
import { reviewsHandler } from './reviews.ts';

export interface StartedService extends RunningServer {
  readonly config: ServiceConfig;
}

export async function startService(config: ServiceConfig, log: Logger = createLogger(config.service, { level: config.logLevel })): Promise<StartedService> {
  let handler: Handler;
  let release = () => {};
  switch (config.service) {
    case 'details':
      handler = detailsHandler();
      break;
    case 'ratings':
      handler = ratingsHandler();
      break;
    case 'reviews': {
      const h = reviewsHandler(config, log);
      handler = h;
      release = h.close;
      break;
    }
    case 'productpage': {
      const h = productpageHandler(config, log);
      handler = h;
      release = h.close;
      break;
    }
  }
  const running = await serve(handler, { port: config.port, host: config.bind, log });
  return {
    config,
    server: running.server,
    port: running.port,
    address: running.address,
    async close(drainMs = config.drainMs) {
      await running.close(drainMs);
      release();
    },
  };
}
