/**
 * Questions as callers put them, and the title of the article the desk must show first. Only a
 * few repeat an article's own words; most are said the way people say them on the phone.
 */
export const CALLER_QUESTIONS: readonly { question: string; title: string }[] = [
  { question: '老板拖欠工资怎么办', title: '拖欠工资怎么讨要' },
  { question: '离婚孩子归谁', title: '离婚后孩子归谁抚养' },
  { question: '父母去世房子怎么分', title: '父母去世后遗产怎么分（法定继承）' },
  { question: '被车撞了对方不赔', title: '交通事故赔偿找谁要' },
  { question: '儿女不养老人', title: '子女不赡养老人怎么办' },
  { question: '请不起律师', title: '请不起律师可以申请法律援助吗' },
  { question: '干活受伤了老板不管', title: '干活受伤了怎么认定工伤' },
  { question: '房东不退押金', title: '房东不退押金、租房纠纷' },
  { question: '借钱不还', title: '借钱不还怎么办' },
  { question: '老公打我', title: '家庭暴力怎么申请人身安全保护令' },
  { question: '在工地上干了半年活，包工头跑了，工钱一分没拿到', title: '农民工在工地干活被欠工资' },
  { question: '公司一直没给我交社保', title: '单位不给交社保怎么办' },
  { question: '网上买的手机是假的，店家不给退', title: '买到假货、被商家欺诈怎么赔' },
  { question: '我儿子被派出所抓走了，想给他找个律师', title: '家人被抓了怎么请律师、申请法律援助辩护' },
  { question: '接了个冒充客服的电话被骗走两万块', title: '被电信网络诈骗了怎么办' },
  { question: '我老婆要离婚，我不同意，她能离成吗', title: '一方不同意离婚怎么办' },
  { question: '前夫不给孩子生活费', title: '抚养费怎么要' },
  { question: '村里要把我家的草场收回去', title: '农村土地承包和草场承包纠纷' },
  { question: '上班三年被公司开除了，能赔多少钱', title: '被单位辞退能要多少补偿' },
  { question: '被邻居家的狗咬了', title: '被狗咬伤谁负责' },
  { question: '健身房办了卡就关门了', title: '办卡充值后商家跑路或不退款' },
  { question: '被交警罚款了不服', title: '对政府部门的处罚或决定不服怎么办' },
];
