import { type Kysely, sql } from 'kysely';

/**
 * The legal knowledge base (法律知识库, issue 16): articles agents read to the caller, every edit
 * kept as a version, and which article an agent used on which ticket.
 *
 * Search is PostgreSQL full-text search with the `simple` configuration over text the service has
 * already cut into words (Chinese has no spaces; `Intl.Segmenter` does the cutting in
 * src/knowledge/segment.ts), so PGlite and PostgreSQL index and rank alike without a Chinese
 * parser extension. `words_a` (title, caller phrasings), `words_b` (question) and `words_c`
 * (answer, legal basis) carry the field weights; the tsvector is generated from them.
 *
 * Numbered 0014 to leave 0012–0013 to work landing at the same time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('knowledge_articles')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('basis', 'jsonb', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('region_codes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('keywords', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('effective_from', 'date', (c) => c.notNull())
    .addColumn('effective_to', 'date')
    .addColumn('words_a', 'text', (c) => c.notNull())
    .addColumn('words_b', 'text', (c) => c.notNull())
    .addColumn('words_c', 'text', (c) => c.notNull())
    .addColumn('search', sql`tsvector`, (c) =>
      c.generatedAlwaysAs(sql`setweight(to_tsvector('simple', words_a), 'A') || setweight(to_tsvector('simple', words_b), 'B') || setweight(to_tsvector('simple', words_c), 'C')`).stored(),
    )
    /** Who wrote the seed file's articles is the project, not a person: null. */
    .addColumn('created_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('updated_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('retired_at', 'timestamptz')
    .addColumn('retired_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('retire_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('knowledge_articles_period_check', sql`effective_to is null or effective_to >= effective_from`)
    .execute();
  await sql`create index knowledge_articles_search_idx on knowledge_articles using gin (search)`.execute(db);
  await db.schema.createIndex('knowledge_articles_topic_idx').on('knowledge_articles').column('topic').execute();

  await db.schema
    .createTable('knowledge_article_versions')
    .addColumn('article_id', 'uuid', (c) => c.notNull().references('knowledge_articles.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('basis', 'jsonb', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('region_codes', 'jsonb', (c) => c.notNull())
    .addColumn('keywords', 'jsonb', (c) => c.notNull())
    .addColumn('effective_from', 'date', (c) => c.notNull())
    .addColumn('effective_to', 'date')
    .addColumn('note', 'text')
    .addColumn('edited_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('edited_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('knowledge_article_versions_pkey', ['article_id', 'version'])
    .execute();

  await db.schema
    .createTable('ticket_knowledge')
    .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('tickets.id').onDelete('cascade'))
    .addColumn('article_id', 'uuid', (c) => c.notNull().references('knowledge_articles.id'))
    /** The version the agent read: a later edit does not change what the caller was told. */
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('linked_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('linked_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('ticket_knowledge_pkey', ['ticket_id', 'article_id'])
    .execute();
  await db.schema.createIndex('ticket_knowledge_article_idx').on('ticket_knowledge').column('article_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ticket_knowledge').execute();
  await db.schema.dropTable('knowledge_article_versions').execute();
  await db.schema.dropTable('knowledge_articles').execute();
}
