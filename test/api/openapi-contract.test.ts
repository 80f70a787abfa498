import { LANGUAGE_CODES, TOPIC_CODES } from '../../src/queue/skills';
import { bearer, startTestApp, type TestApp } from '../support/app';

/**
 * What a client generated from /openapi.json learns: the keys a skill map may hold and how many
 * it needs, and references that resolve. The same schemas validate requests, so the runtime
 * checks are tried alongside.
 */
describe('/openapi.json as a contract', () => {
  let t: TestApp;
  let doc: Record<string, any>;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(() => t.close());

  const body = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema;

  describe.each([
    ['POST /api/agents', '/api/agents', 'post'],
    ['PATCH /api/agents/{id}', '/api/agents/{id}', 'patch'],
  ])('%s', (_name, path, method) => {
    it('lists every language code as a key of languages, no other, and at least one', () => {
      const languages = body(path, method).properties.languages;
      expect(languages.type).toBe('object');
      expect(Object.keys(languages.properties)).toEqual(LANGUAGE_CODES);
      expect(languages.additionalProperties).toBe(false);
      expect(languages.minProperties).toBe(1);
      expect(languages.properties.bo).toMatchObject({ type: 'integer', minimum: 1, maximum: 5, description: 'Tibetan (藏语)' });
      expect(languages.description).toMatch(/language code → proficiency 1 .* 5/);
    });

    it('lists every topic code as a key of topics, no other; none is required', () => {
      const topics = body(path, method).properties.topics;
      expect(Object.keys(topics.properties)).toEqual(TOPIC_CODES);
      expect(topics.additionalProperties).toBe(false);
      expect(topics.minProperties).toBeUndefined();
      expect(topics.properties.labour).toMatchObject({ type: 'integer', minimum: 1, maximum: 5 });
      expect(topics.description).toMatch(/topic code → proficiency/);
    });
  });

  it('lists the codes of the skill maps an agent profile answers with, without closing them', () => {
    const agent = doc.components.schemas.Agent;
    expect(Object.keys(agent.properties.languages.properties)).toEqual(LANGUAGE_CODES);
    expect(Object.keys(agent.properties.topics.properties)).toEqual(TOPIC_CODES);
    expect(agent.properties.languages.additionalProperties).toMatchObject({ type: 'number' });
  });

  it('every $ref points at a schema the document holds', () => {
    const refs = [...new Set(JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [])].map((r) => JSON.parse(r) as string);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty([ref.split('/').pop()!]);
  });

  it('still refuses what the document forbids, naming the field', async () => {
    const admin = await t.addUser({ username: 'admin.contract', role: 'admin', region: '630000' });
    const create = (languages: unknown, topics: unknown = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/api/agents',
        headers: bearer(admin.token),
        payload: { username: 'agent.contract', password: 'long-enough-1', displayName: '测试', servingRegion: '630102', languages, topics },
      });
    expect((await create({})).json().message).toMatch(/body\.languages: an agent must speak at least one language/);
    expect((await create({ klingon: 3 })).json().message).toMatch(/body\.languages/);
    expect((await create({ zh: 5 }, { astrology: 2 })).json().message).toMatch(/body\.topics/);
    expect((await create({ zh: 6 })).json().message).toMatch(/body\.languages\.zh/);
    const made = await create({ zh: 5, bo: 3 }, { labour: 4 });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ languages: { zh: 5, bo: 3 }, topics: { labour: 4 } });
  });
});
