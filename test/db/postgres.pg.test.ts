import { openDatabase } from '../../src/db/database';
import { createPostgresDatabase } from '../support/databases';
import { dataLayerContract } from './data-layer.contract';

describe('data layer on PostgreSQL', () => {
  dataLayerContract(async () => {
    const { url, drop } = await createPostgresDatabase();
    return { handle: await openDatabase({ kind: 'postgres', url }), cleanup: drop };
  });
});
