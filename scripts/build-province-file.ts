/**
 * Builds a province file (provinces/<code>-<name>.json) from a regions CSV of the form in
 * ../shared/data/qinghai-regions.csv, adding the referral organisations every region needs:
 * a legal aid centre, a people's mediation committee and the judicial bureau of each county,
 * prefecture and the province. Run once per province; the JSON is what the service ships.
 *
 *   npx tsx scripts/build-province-file.ts CSV OUT --prefix QH --languages zh,bo,mn --source "..."
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parseProvinceFile } from '../src/province/province-file';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    prefix: { type: 'string' },
    languages: { type: 'string' },
    source: { type: 'string' },
    note: { type: 'string', multiple: true },
    former: { type: 'string', multiple: true }, // CODE=OLDCODE
  },
});
const [csvPath, outPath] = positionals;
if (!csvPath || !outPath || !values.prefix || !values.languages || !values.source) {
  process.stderr.write('usage: build-province-file CSV OUT --prefix QH --languages zh,bo,mn --source TEXT [--note TEXT] [--former CODE=OLD]\n');
  process.exit(2);
}

const lines = fs.readFileSync(csvPath, 'utf8').trim().split(/\r?\n/);
const header = lines.shift()!.split(',');
const expected = 'level,code,name_zh,name_pinyin,parent_code,population_2020,population_source,area_code';
if (header.join(',') !== expected) throw new Error(`${csvPath}: header must be ${expected}`);
const rows = lines.map((line, i) => {
  // This CSV form has no quoted fields; refuse one rather than misread it.
  if (line.includes('"')) throw new Error(`${csvPath}:${i + 2}: quoted fields are not supported`);
  const cells = line.split(',');
  if (cells.length !== header.length) throw new Error(`${csvPath}:${i + 2}: expected ${header.length} fields, got ${cells.length}`);
  return Object.fromEntries(header.map((h, j) => [h, cells[j]!.trim()])) as Record<string, string>;
});

const former = new Map<string, string[]>();
for (const f of values.former ?? []) {
  const [code, old] = f.split('=');
  former.set(code!, [...(former.get(code!) ?? []), old!]);
}

const regions = rows.map((r) => ({
  level: r.level,
  code: r.code,
  nameZh: r.name_zh,
  namePinyin: r.name_pinyin,
  parentCode: r.parent_code || null,
  population2020: r.population_2020 ? Number(r.population_2020) : null,
  populationSource: r.population_source || 'U',
  areaCode: r.area_code || null,
  formerCodes: former.get(r.code!) ?? [],
}));
const byCode = new Map(regions.map((r) => [r.code, r]));
const province = regions.find((r) => r.level === 'province')!;

function names(r: (typeof regions)[number]) {
  if (r.level !== 'county') return { zh: r.nameZh, en: r.namePinyin };
  const parent = byCode.get(r.parentCode!)!;
  return { zh: `${parent.nameZh}${r.nameZh}`, en: `${r.namePinyin}, ${parent.namePinyin}` };
}
const organisations = regions.flatMap((r) => {
  const n = names(r);
  const judicial = r.level === 'province' ? { zh: '司法厅', en: 'Department of Justice' } : { zh: '司法局', en: 'Bureau of Justice' };
  return [
    { code: `LA-${r.code}`, kind: 'legal_aid_centre', nameZh: `${n.zh}法律援助中心`, nameEn: `${n.en} Legal Aid Centre`, regionCode: r.code, phone: null, address: null },
    { code: `MC-${r.code}`, kind: 'mediation_committee', nameZh: `${n.zh}人民调解委员会`, nameEn: `${n.en} People's Mediation Committee`, regionCode: r.code, phone: null, address: null },
    { code: `JO-${r.code}`, kind: 'judicial_office', nameZh: `${n.zh}${judicial.zh}`, nameEn: `${n.en} ${judicial.en}`, regionCode: r.code, phone: null, address: null },
  ];
});

const file = {
  format: 'hotline-12348/province@1',
  source: values.source,
  notes: [
    ...(values.note ?? []),
    'Organisations are one legal aid centre, one people\'s mediation committee and the judicial bureau per region, named by the official pattern; phone numbers and addresses are to be filled from the province\'s own directory.',
  ],
  province: { code: province.code, ticketPrefix: values.prefix, languages: values.languages.split(',') },
  regions,
  organisations,
};
parseProvinceFile(file, outPath); // refuse to write a file the importer would reject
fs.writeFileSync(outPath, `${JSON.stringify(file, null, 2)}\n`);
process.stderr.write(`wrote ${outPath}: ${regions.length} regions, ${organisations.length} organisations\n`);
