import { openDatabase } from '../../src/db/database';
import { createPostgresDatabase } from '../support/databases';
import { knowledgeSearchContract } from './search.contract';

describe('knowledge search on PostgreSQL', () => {
  knowledgeSearchContract(async () => {
    const { url, drop } = await createPostgresDatabase();
    return { handle: await openDatabase({ kind: 'postgres', url }), cleanup: drop };
  });
});
