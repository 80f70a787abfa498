import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { RecordJournal } from './journal';
import { RecordOutbox } from './outbox';

declare module 'fastify' {
  interface FastifyInstance {
    /** Call records (row, timeline, ticket, survey, callbacks), kept on disk while the database is away. */
    records: RecordOutbox;
  }
}

/** How long shutdown waits for kept records to reach the database before leaving them in the journal. */
const CLOSE_DRAIN_MS = 2_000;

export const recordsPlugin = fp(
  async function records(app: FastifyInstance) {
    const journal = new RecordJournal(path.join(app.config.dataDir, 'journal'), app.log.child({ module: 'records' }));
    const outbox = new RecordOutbox({ db: app.db, journal, log: app.log.child({ module: 'records' }) });
    await outbox.start();
    new Gauge({
      name: 'hotline_records_backlog',
      help: 'Call records kept in the journal because the database did not take them yet',
      registers: [app.metrics],
      collect() {
        this.set(outbox.backlog);
      },
    });
    new Gauge({
      name: 'hotline_records_rejected',
      help: 'Call records the database refused for good since start (kept in DATA_DIR/journal/rejected.jsonl)',
      registers: [app.metrics],
      collect() {
        this.set(outbox.rejectedCount);
      },
    });
    app.decorate('records', outbox);
    app.addHook('onClose', async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([outbox.drained(), new Promise((r) => (timer = setTimeout(r, CLOSE_DRAIN_MS)))]).finally(() => clearTimeout(timer));
      if (outbox.backlog > 0) app.log.warn({ backlog: outbox.backlog, journal: journal.file }, 'stopping with call records kept in the journal; the next start applies them');
      await outbox.close();
    });
  },
  { name: 'records', dependencies: ['database', 'config', 'metrics'] },
);
