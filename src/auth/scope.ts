import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import type { Actor } from './actor';

/**
 * Region scope: an admin sees the whole province, a supervisor the subtree under their region
 * (a prefecture supervisor, their prefecture and its counties), an agent only themself.
 */
export function scopeRoot(actor: Actor, regions: RegionDirectory): string {
  return actor.role === 'admin' ? regions.province.code : actor.regionCode;
}

export function inScope(actor: Actor, regionCode: string, regions: RegionDirectory): boolean {
  return regions.isWithin(regionCode, scopeRoot(actor, regions));
}

export function assertInScope(actor: Actor, regionCode: string, regions: RegionDirectory): void {
  if (!inScope(actor, regionCode, regions)) throw new Errors.OUT_OF_SCOPE(regionCode, scopeRoot(actor, regions));
}
