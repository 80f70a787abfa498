import { z } from 'zod';
import { LANGUAGES, MAX_PROFICIENCY, MIN_PROFICIENCY, TOPICS } from '../queue/skills';

/** Schemas shared by several routes; each route file holds its own request schemas. */

export { ErrorSchema, errors } from '../errors/error-schema';

export const RegionCode = z.string().regex(/^\d{6}$/, 'must be a 6-digit region code');
export const Proficiency = z.number().int().min(MIN_PROFICIENCY).max(MAX_PROFICIENCY);

/**
 * Code → proficiency. Validated as a partial record, so a wrong entry is named by its key
 * ("body.languages.zh: …"). OpenAPI 3.0 has no `propertyNames` (the type provider drops it for
 * 3.0), so the document lists each code as an optional property instead; otherwise a client
 * generated from it would not know which keys exist.
 */
function skillMaps<K extends string>(vocabulary: Record<K, { zh: string; en: string }>, description: string) {
  const codes = Object.keys(vocabulary) as [K, ...K[]];
  const { properties } = z.toJSONSchema(
    z.object(Object.fromEntries(codes.map((c) => [c, Proficiency.optional().meta({ description: `${vocabulary[c].en} (${vocabulary[c].zh})` })]))),
    { target: 'openapi-3.0' },
  );
  return {
    /** What a request may send: these codes and no other. */
    accepted: z.partialRecord(z.enum(codes), Proficiency).meta({ description, properties, additionalProperties: false }),
    /**
     * What a profile holds. Left open: a stored row is not checked again on the way out, where one
     * odd key would fail the whole answer.
     */
    stored: z.record(z.string(), z.number()).meta({ description, properties }),
  };
}

const SCALE = `proficiency ${MIN_PROFICIENCY} (can manage) to ${MAX_PROFICIENCY} (expert)`;
const languageSkills = skillMaps(LANGUAGES, `Languages the agent speaks: language code → ${SCALE}. Calls are only ever routed to an agent who speaks the caller's language.`);
const topicSkills = skillMaps(TOPICS, `Legal topics the agent handles: topic code → ${SCALE}. A call on a topic left out reaches the agent only once routing relaxes the topic, at a later overflow step.`);
export const LanguageSkills = languageSkills.accepted;
export const TopicSkills = topicSkills.accepted;

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
    languages: languageSkills.stored,
    topics: topicSkills.stored,
    disabled: z.boolean(),
    seatPhone: z.string().nullable().describe("the remote seat's phone (mainland digits) that offers ring when the agent answers on the phone"),
    remoteSeat: z.boolean().describe('signed in to routing as a remote seat: offers ring the seat phone'),
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
