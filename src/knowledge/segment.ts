/**
 * Chinese word segmentation for the knowledge base. Chinese is written without spaces, and
 * PostgreSQL's parser reads a run of Han characters as one "word", so the service cuts text into
 * words itself (ICU's dictionary through `Intl.Segmenter`, built into Node) and gives the database
 * space-separated words. Articles and queries go through the same cutting, so whatever ICU makes
 * of a phrase, both sides make the same of it; and PGlite and PostgreSQL, which never see Chinese
 * unsegmented, rank alike.
 */

/**
 * Words that say nothing about the legal question: how callers ask (怎么办, 吗, 请问), pronouns,
 * particles and the commonest verbs. Left in, they would match every article.
 */
const STOP_WORDS = new Set(
  [
    '怎么', '怎么办', '怎样', '如何', '怎么样', '咋', '咋办', '办', '吗', '呢', '吧', '啊', '呀', '嘛', '哦', '么',
    '了', '的', '地', '得', '着', '过', '之', '等',
    '我', '我们', '你', '你们', '您', '他', '她', '它', '他们', '她们', '咱', '咱们', '自己', '人家', '别人', '人',
    '是', '在', '有', '和', '与', '及', '或', '或者', '也', '都', '就', '还', '又', '再', '才', '很', '太', '更', '最', '非常',
    '要', '会', '能', '能不能', '可以', '可不可以', '应该', '需要', '想', '想要', '该', '得到',
    '什么', '为什么', '为啥', '啥', '哪里', '哪儿', '哪', '谁', '多少', '几', '怎',
    '被', '把', '给', '让', '对', '向', '从', '跟', '到', '去', '来', '上', '下', '里', '中', '个', '些', '这', '那', '这个', '那个', '这些', '那些', '这样', '那样',
    '不', '没', '没有', '别', '不是', '不要', '不能', '不会',
    '一', '一个', '一下', '一些', '现在', '已经', '一直', '还是', '可是', '但是', '但', '因为', '所以', '如果', '然后', '而且', '并且',
    '请问', '问', '问问', '请', '咨询', '说', '知道', '觉得', '情况', '问题', '事', '事情',
    // English operators the query language would read as syntax.
    'or', 'and', 'not',
  ],
);

/** Characters that only glue a sentence together: a pair holding one is no word. */
const PARTICLES = new Set(['了', '的', '地', '得', '着', '过', '吗', '呢', '吧', '啊', '呀', '嘛', '我', '你', '他', '她', '它', '是', '在', '和', '也', '都', '就', '被', '把', '给', '让']);
const HAN_CHARACTER = /^\p{Script=Han}$/u;

export interface WordCutter {
  /** The words of a text worth searching on, lower-cased, in order (repeats kept). */
  words(text: string): string[];
  /** The words as the database indexes them: space-separated. */
  indexText(...texts: string[]): string;
}

export function wordCutter(): WordCutter {
  const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
  function words(text: string): string[] {
    const out: string[] = [];
    // Consecutive single Han characters the dictionary left apart (交|社|保): their pairs (社保)
    // are added as words too. Whether ICU keeps a word whole depends on its neighbours (社保 alone,
    // 社|保 after 交), and pairs make an article and a query meet either way.
    let run: string[] = [];
    const endRun = () => {
      for (let i = 0; i + 1 < run.length; i++) {
        const pair = run[i]! + run[i + 1]!;
        if (!STOP_WORDS.has(pair) && !PARTICLES.has(run[i]!) && !PARTICLES.has(run[i + 1]!)) out.push(pair);
      }
      run = [];
    };
    for (const s of segmenter.segment(text.normalize('NFKC'))) {
      if (!s.isWordLike) {
        endRun();
        continue;
      }
      const word = s.segment.toLowerCase();
      if (HAN_CHARACTER.test(word)) run.push(word);
      else endRun();
      if (!STOP_WORDS.has(word)) out.push(word);
    }
    endRun();
    return out;
  }
  return {
    words,
    indexText: (...texts) => texts.map((t) => words(t).join(' ')).filter(Boolean).join(' '),
  };
}

/** The distinct words of a query, longest first (a snippet marks 拖欠工资 before 工资). */
export function queryWords(cutter: WordCutter, text: string): string[] {
  return [...new Set(cutter.words(text))].sort((a, b) => b.length - a.length);
}
