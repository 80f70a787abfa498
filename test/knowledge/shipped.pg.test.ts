import { openDatabase } from '../../src/db/database';
import { createPostgresDatabase } from '../support/databases';
import { shippedArticlesContract } from './shipped.contract';

describe('shipped knowledge articles on PostgreSQL', () => {
  shippedArticlesContract(async () => {
    const { url, drop } = await createPostgresDatabase();
    return { handle: await openDatabase({ kind: 'postgres', url }), cleanup: drop };
  }, { connections: 2 });
});
