import path from 'node:path';
import { readProvinceFile } from '../../src/province/bundled';
import { type RegionDirectory, regionDirectoryFromEntries } from '../../src/regions/region-directory';
import { buildRoster, coverage, type RosterAgent, type Shift } from '../../src/staffing/roster-assign';
import { rosterSettings } from '../../src/staffing/roster-settings';

/** Seats per half-hour: `from`–`to` ("08:30", "12:00") at `n`, 0 elsewhere, optionally on top of `base`. */
function seats(from: string, to: string, n = 1, base: number[] = new Array(48).fill(0)): number[] {
  const at = (t: string) => (Number(t.slice(0, 2)) * 60 + Number(t.slice(3))) / 30;
  return base.map((v, i) => (i >= at(from) && i < at(to) ? v + n : v));
}
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const shown = (shifts: Shift[], agents: RosterAgent[]) =>
  shifts.map((s) => `${agents.find((a) => a.id === s.agentId)!.username} ${s.regionCode} ${hhmm(s.start)}-${hhmm(s.end)}`).sort();

let seq = 0;
const agent = (username: string, regionCode: string, languages: Record<string, number> = { zh: 5 }): RosterAgent => ({ id: `a${++seq}`, username, regionCode, languages });

describe('building a roster from a seat plan', () => {
  let regions: RegionDirectory;
  beforeAll(async () => {
    const province = await readProvinceFile(path.join(__dirname, '..', '..', 'provinces', '630000-qinghai.json'));
    regions = regionDirectoryFromEntries('630000', province.regions);
  });
  // No speaker minimum unless a test asks for one.
  const plain = () => rosterSettings({ rosters: { minSpeakers: {} } }, ['zh', 'bo', 'mn']);

  it("puts the region's own agents on shifts that follow the plan's edges, spreading the hours", () => {
    const agents = [agent('a.yushu1', '632701'), agent('a.yushu2', '632701'), agent('a.yushu3', '632701'), agent('a.zaduo', '632722')];
    const plan = { '632701': seats('08:30', '20:00', 1, seats('09:00', '10:00', 1)) };
    const { shifts, uncovered } = buildRoster({ regions, plan, agents, fixed: [], settings: plain() });
    expect(shown(shifts, agents)).toEqual([
      // The first seat: 08:30 (the plan's start) to 12:00, then the next templates, each to someone with fewer hours.
      'a.yushu1 632701 08:30-12:00',
      'a.yushu2 632701 09:00-10:00',
      'a.yushu2 632701 16:00-20:00',
      'a.yushu3 632701 12:00-16:00',
    ]);
    expect(uncovered).toEqual([]);
  });

  it('never rosters an agent past the hours of a day or on two shifts at once, and says what is left uncovered', () => {
    const agents = [agent('a.only', '632701')];
    const plan = { '632701': seats('00:00', '24:00', 2) };
    const { shifts, uncovered } = buildRoster({ regions, plan, agents, fixed: [], settings: plain() });
    // Two 4-hour templates back to back are one shift; 8 hours is the day's limit.
    expect(shown(shifts, agents)).toEqual(['a.only 632701 00:00-08:00']);
    expect(uncovered).toEqual([
      { regionCode: '632701', start: 0, end: 480, seatsShort: 1, languagesShort: {} },
      { regionCode: '632701', start: 480, end: 1440, seatsShort: 2, languagesShort: {} },
    ]);
  });

  it("keeps to the agents' other shifts of the day", () => {
    const agents = [agent('a.busy', '632701'), agent('a.free', '632701')];
    const busy = agents[0]!;
    const plan = { '632701': seats('08:00', '12:00') };
    const fixed = [{ agentId: busy.id, regionCode: '632722', start: 480, end: 600 }];
    const { shifts } = buildRoster({ regions, plan, agents, fixed, settings: plain() });
    expect(shown(shifts, agents)).toEqual(['a.free 632701 08:00-12:00']);
  });

  it("borrows within the prefecture when a region is short — its prefecture's agents first — never from another prefecture", () => {
    const agents = [agent('a.zaduo', '632722'), agent('a.yushu-pref', '632700'), agent('a.chenduo', '632723'), agent('a.golmud', '632801')];
    const plan = { '632722': seats('08:00', '12:00', 2) };
    const first = buildRoster({ regions, plan, agents, fixed: [], settings: plain() });
    expect(shown(first.shifts, agents)).toEqual(['a.yushu-pref 632722 08:00-12:00', 'a.zaduo 632722 08:00-12:00']);

    // Three seats: the prefecture's agent, then a county's; four: Golmud's agent is in Haixi and stays out of it.
    const more = buildRoster({ regions, plan: { '632722': seats('08:00', '12:00', 4) }, agents, fixed: [], settings: plain() });
    expect(shown(more.shifts, agents)).toEqual(['a.chenduo 632722 08:00-12:00', 'a.yushu-pref 632722 08:00-12:00', 'a.zaduo 632722 08:00-12:00']);
    expect(more.uncovered).toEqual([{ regionCode: '632722', start: 480, end: 720, seatsShort: 1, languagesShort: {} }]);
  });

  it('takes a Tibetan speaker first where the prefecture needs one, and adds one beyond the plan when the seats went to others', () => {
    const settings = rosterSettings({ rosters: { minSpeakers: { bo: 1 } } }, ['zh', 'bo', 'mn']);
    const zh = agent('a.aaa-zh', '632701');
    const bo = agent('a.zzz-bo', '632701', { zh: 3, bo: 5 });
    const preferred = buildRoster({ regions, plan: { '632701': seats('08:00', '12:00') }, agents: [zh, bo], fixed: [], settings });
    expect(shown(preferred.shifts, [zh, bo])).toEqual(['a.zzz-bo 632701 08:00-12:00']);
    expect(preferred.uncovered).toEqual([]);

    // The only speaker serves another county of Yushu: the seat is the city's agent's, and the speaker is added.
    const elsewhere = agent('a.zaduo-bo', '632722', { bo: 5 });
    const added = buildRoster({ regions, plan: { '632701': seats('08:00', '12:00') }, agents: [zh, elsewhere], fixed: [], settings });
    expect(shown(added.shifts, [zh, elsewhere])).toEqual(['a.aaa-zh 632701 08:00-12:00', 'a.zaduo-bo 632722 08:00-12:00']);
    expect(added.uncovered).toEqual([]);
  });

  it('reports the speakers missing per prefecture, over the half-hours it plans seats, when nobody speaks the language', () => {
    const settings = rosterSettings({}, ['zh', 'bo', 'mn']); // default: one Tibetan and one Mongolian speaker
    const agents = [agent('a.yushu', '632701', { zh: 5, bo: 4 }), agent('a.golmud', '632801')];
    const plan = { '632701': seats('08:00', '10:00'), '632801': seats('09:00', '10:00') };
    const { uncovered } = buildRoster({ regions, plan, agents, fixed: [], settings });
    expect(uncovered).toEqual([
      { regionCode: '632700', start: 480, end: 600, seatsShort: 0, languagesShort: { mn: 1 } },
      { regionCode: '632800', start: 540, end: 600, seatsShort: 0, languagesShort: { bo: 1, mn: 1 } },
    ]);
    // A prefecture's own minimum replaces the province's: none for Haixi, then nothing is short there.
    const relaxed = rosterSettings({ rosters: { minSpeakersByPrefecture: { '632800': {} } } }, ['zh', 'bo', 'mn']);
    expect(buildRoster({ regions, plan, agents, fixed: [], settings: relaxed }).uncovered.map((u) => u.regionCode)).toEqual(['632700']);
  });

  it('measures a roster made by hand against the plan', () => {
    const settings = rosterSettings({ rosters: { minSpeakers: {} } }, ['zh']);
    const plan = { '632701': seats('08:00', '12:00', 2) };
    const shifts = [
      { agentId: 'x', regionCode: '632701', start: 480, end: 720 },
      { agentId: 'y', regionCode: '632701', start: 540, end: 600 },
    ];
    expect(coverage({ regions, plan, shifts, languagesOf: () => ({ zh: 5 }), settings })).toEqual([
      { regionCode: '632701', start: 480, end: 540, seatsShort: 1, languagesShort: {} },
      { regionCode: '632701', start: 600, end: 720, seatsShort: 1, languagesShort: {} },
    ]);
  });

  it('refuses settings that cannot be a day of shifts, naming them', () => {
    expect(() => rosterSettings({ rosters: { shiftTemplates: ['08:00-12:00', '11:00-15:00'] } }, ['zh'])).toThrow(/shiftTemplates: 08:00-12:00 and 11:00-15:00 overlap/);
    expect(() => rosterSettings({ rosters: { maxHoursPerDay: 0 } }, ['zh'])).toThrow(/settings\.rosters\.maxHoursPerDay/);
    expect(() => rosterSettings({ rosters: { minSpeakers: { klingon: 1 } } }, ['zh'])).toThrow(/settings\.rosters\.minSpeakers/);
  });
});
