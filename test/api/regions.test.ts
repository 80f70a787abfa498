import { bearer, startTestApp, type TestApp } from '../support/app';

type Node = { code: string; level: string; population2020: number | null; children: Node[] };

describe('regions', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = (await t.addUser({ username: 'agent.r', role: 'agent', region: '630100' })).token;
  });
  afterAll(() => t.close());

  describe('GET /api/regions', () => {
    it('gives Qinghai\'s tree: 8 prefectures, 44 counties, census population', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/regions', headers: bearer(token) });
      expect(res.statusCode).toBe(200);
      const { tree, province } = res.json() as { tree: Node; province: { languages: string[] } };
      expect(province.languages).toEqual(['zh', 'bo', 'mn']);
      expect(tree).toMatchObject({ code: '630000', level: 'province', population2020: 5_923_957 });
      expect(tree.children).toHaveLength(8);
      expect(tree.children.flatMap((p) => p.children)).toHaveLength(44);
      const sumOfPrefectures = tree.children.reduce((s, p) => s + p.population2020!, 0);
      expect(sumOfPrefectures).toBe(5_923_957);
    });

    it('needs a signed-in user', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/api/regions' })).statusCode).toBe(401);
    });
  });

  describe('GET /api/regions/:code', () => {
    it('gives a county without a census figure its estimate, its prefecture and its organisations', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/regions/632623', headers: bearer(token) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.region).toMatchObject({ nameZh: '甘德县', population2020: null, areaCode: '0975' });
      expect(body.region.populationEstimate).toBeGreaterThan(0);
      expect(body.lineage.map((r: { code: string }) => r.code)).toEqual(['632600', '630000']);
      const kinds = body.organisations.map((o: { kind: string }) => o.kind).sort();
      expect(kinds).toEqual(['judicial_office', 'legal_aid_centre', 'mediation_committee']);
      expect(body.organisations.find((o: { kind: string }) => o.kind === 'legal_aid_centre').nameZh).toBe('果洛藏族自治州甘德县法律援助中心');
    });

    it('finds a region by the code older lists still use', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/regions/630122', headers: bearer(token) });
      expect(res.statusCode).toBe(200);
      expect(res.json().region).toMatchObject({ code: '630106', nameZh: '湟中区' });
    });

    it('answers 404 for an unknown code and 400 for a malformed one', async () => {
      const unknown = await t.app.inject({ method: 'GET', url: '/api/regions/110101', headers: bearer(token) });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('HOTLINE_ERR_REGION_NOT_FOUND');
      const malformed = await t.app.inject({ method: 'GET', url: '/api/regions/xining', headers: bearer(token) });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().message).toMatch(/params\.code: must be a 6-digit region code/);
    });
  });
});
