import { type Kysely, sql } from 'kysely';

/**
 * Shipped articles keep a stable key (provinces/knowledge/articles.json `key`), so each start can
 * bring the knowledge base up to the file a release ships instead of seeding only an empty one
 * (src/knowledge/shipped-sync.ts). A person's articles have none.
 *
 * Rows written from the file before keys existed are given theirs here, by the title they were
 * written with: version 1, written by the project (no editor), exactly as the file had it. The
 * titles are those of the release that first shipped the articles and are frozen in this file: a
 * later release may correct a title in articles.json, and a province upgrading straight to it
 * must still find its old rows. Matching on version 1 rather than on the row also finds an article
 * a supervisor has retitled since.
 */
export const TITLES_SHIPPED_BEFORE_KEYS: readonly (readonly [title: string, key: string])[] = [
  ['拖欠工资怎么讨要', 'wage-arrears'],
  ['农民工在工地干活被欠工资', 'migrant-worker-wages'],
  ['没签劳动合同能要双倍工资吗', 'no-contract-double-wages'],
  ['被单位辞退能要多少补偿', 'dismissal-compensation'],
  ['劳动仲裁怎么申请、时效多长', 'labour-arbitration'],
  ['干活受伤了怎么认定工伤', 'work-injury'],
  ['单位不给交社保怎么办', 'social-insurance-unpaid'],
  ['加班费怎么算', 'overtime-pay'],
  ['试用期的规定', 'probation-period'],
  ['辞职要提前多久、单位扣证件押金', 'resignation-notice-and-deposits'],
  ['协议离婚怎么办理', 'divorce-by-agreement'],
  ['一方不同意离婚怎么办', 'contested-divorce'],
  ['离婚后孩子归谁抚养', 'child-custody'],
  ['抚养费怎么要', 'child-support'],
  ['离婚财产怎么分', 'divorce-property'],
  ['彩礼能不能要回来', 'betrothal-gifts'],
  ['家庭暴力怎么申请人身安全保护令', 'domestic-violence-protection-order'],
  ['父母去世后遗产怎么分（法定继承）', 'statutory-inheritance'],
  ['遗嘱怎么立才有效', 'valid-wills'],
  ['子女不赡养老人怎么办', 'elder-support'],
  ['老人的房子存款被子女占了、再婚被干涉', 'elder-property-and-remarriage'],
  ['借钱不还怎么办', 'unpaid-loans'],
  ['民间借贷利息多高受法律保护', 'private-loan-interest'],
  ['房东不退押金、租房纠纷', 'rental-deposit-disputes'],
  ['农村土地承包和草场承包纠纷', 'land-and-grassland-contracts'],
  ['宅基地和土地权属争议', 'homestead-and-land-ownership'],
  ['征地拆迁补偿', 'land-expropriation-compensation'],
  ['邻里纠纷（通风采光、排水、通行）', 'neighbour-disputes'],
  ['物业费和物业服务纠纷', 'property-management-fees'],
  ['交通事故赔偿找谁要', 'traffic-accident-compensation'],
  ['肇事逃逸或车辆没有保险', 'hit-and-run-or-uninsured'],
  ['买到假货、被商家欺诈怎么赔', 'counterfeit-goods-and-fraud'],
  ['买到过期、有问题的食品', 'unsafe-food'],
  ['办卡充值后商家跑路或不退款', 'prepaid-card-refunds'],
  ['网购七天无理由退货', 'online-seven-day-returns'],
  ['请不起律师可以申请法律援助吗', 'legal-aid-eligibility'],
  ['怎么申请法律援助、哪些人不用查经济状况', 'legal-aid-application'],
  ['家人被抓了怎么请律师、申请法律援助辩护', 'criminal-defence-lawyer'],
  ['被人打了、被侵害了怎么报案', 'reporting-a-crime'],
  ['被电信网络诈骗了怎么办', 'telecom-fraud'],
  ['对政府部门的处罚或决定不服怎么办', 'challenging-government-decisions'],
  ['医疗纠纷怎么解决', 'medical-disputes'],
  ['被狗咬伤谁负责', 'dog-bites'],
  ['孩子受到伤害、父母不管孩子', 'child-protection'],
  ['人民调解：免费调解纠纷', 'peoples-mediation'],
  ['怎么到法院起诉、诉讼费交不起怎么办', 'filing-a-lawsuit'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('knowledge_articles')
    .addColumn('shipped_key', 'text', (c) => c.unique())
    .execute();
  const shipped = sql.join(TITLES_SHIPPED_BEFORE_KEYS.map(([title, key]) => sql`(${title}::text, ${key}::text)`));
  // distinct on: should two rows ever have been written from the same title, the older one is
  // the shipped article and the other stays a row without a key.
  await sql`
    with shipped (title, key) as (values ${shipped}),
    matched as (
      select distinct on (s.key) s.key, k.id
      from shipped s
      join knowledge_article_versions v on v.title = s.title and v.version = 1 and v.edited_by is null
      join knowledge_articles k on k.id = v.article_id and k.created_by is null
      order by s.key, k.created_at, k.id
    )
    update knowledge_articles k set shipped_key = m.key from matched m where k.id = m.id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('knowledge_articles').dropColumn('shipped_key').execute();
}
