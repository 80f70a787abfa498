import { z } from 'zod';
import { LANGUAGE_CODES, MAX_PROFICIENCY, MIN_PROFICIENCY, TOPIC_CODES } from '../queue/skills';

/** Schemas shared by several routes; each route file holds its own request schemas. */

export { ErrorSchema, errors } from '../errors/error-schema';

export const RegionCode = z.string().regex(/^\d{6}$/, 'must be a 6-digit region code');
export const Proficiency = z.number().int().min(MIN_PROFICIENCY).max(MAX_PROFICIENCY);
export const LanguageSkills = z.partialRecord(z.enum(LANGUAGE_CODES), Proficiency);
export const TopicSkills = z.partialRecord(z.enum(TOPIC_CODES), Proficiency);
/** Hotline staff; organisation accounts (receiving referrals) are made through their own route. */
export const StaffRole = z.enum(['agent', 'supervisor', 'admin']);
export const Role = z.enum(['agent', 'supervisor', 'admin', 'organisation']);

export const AgentProfileSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    role: Role,
    servingRegion: z.string(),
    languages: z.record(z.string(), z.number()),
    topics: z.record(z.string(), z.number()),
    disabled: z.boolean(),
    lastLoginAt: z.date().nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'Agent' });

export const RegionSchema = z.object({
  code: z.string(),
  level: z.enum(['province', 'prefecture', 'county']),
  parentCode: z.string().nullable(),
  nameZh: z.string(),
  namePinyin: z.string(),
  population2020: z.number().int().nullable(),
  populationEstimate: z.number().int(),
  areaCode: z.string().nullable(),
  formerCodes: z.array(z.string()),
});

export const RegionNodeSchema = RegionSchema.extend({
  get children(): z.ZodArray<typeof RegionNodeSchema> {
    return z.array(RegionNodeSchema);
  },
}).meta({ id: 'RegionNode' });
