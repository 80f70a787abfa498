import { openDatabase } from '../../src/db/database';
import { knowledgeSearchContract } from './search.contract';

describe('knowledge search on the embedded PGlite', () => {
  knowledgeSearchContract(async () => ({ handle: await openDatabase({ kind: 'pglite', dataDir: null }), cleanup: async () => {} }));
});
