import { openDatabase } from '../../src/db/database';
import { shippedArticlesContract } from './shipped.contract';

describe('shipped knowledge articles on the embedded PGlite', () => {
  shippedArticlesContract(async () => ({ handle: await openDatabase({ kind: 'pglite', dataDir: null }), cleanup: async () => {} }));
});
