import { openDatabase } from '../../src/db/database';
import { dataLayerContract } from './data-layer.contract';

describe('data layer on the embedded PGlite', () => {
  dataLayerContract(async () => ({ handle: await openDatabase({ kind: 'pglite', dataDir: null }), cleanup: async () => {} }));
});
