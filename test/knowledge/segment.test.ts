import { queryWords, wordCutter } from '../../src/knowledge/segment';
import { snippet } from '../../src/knowledge/snippet';

describe('Chinese word cutting for the knowledge base', () => {
  const cutter = wordCutter();

  it('keeps the words of a question and drops how it is asked', () => {
    const words = queryWords(cutter, '老板拖欠工资怎么办？');
    expect(words).toEqual(expect.arrayContaining(['老板', '拖欠', '工资']));
    for (const stop of ['怎么', '怎么办', '办']) expect(words).not.toContain(stop);
    expect(queryWords(cutter, '请问怎么办呢？')).toEqual([]);
  });

  it('makes a word the dictionary split in one sentence meet the same word written alone', () => {
    // ICU keeps 社保 whole on its own and cuts it apart after 交: the pair brings it back.
    expect(cutter.words('社保')).toContain('社保');
    expect(cutter.words('公司没给我交社保')).toContain('社保');
  });

  it('marks the searched words in the sentence of the answer that holds most of them', () => {
    const parts = snippet('劳动者可以申请仲裁。用人单位拖欠工资的，可以向劳动监察投诉。其他情形另行处理。', ['拖欠', '工资']);
    expect(parts.map((p) => p.text).join('')).toBe('用人单位拖欠工资的，可以向劳动监察投诉。');
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['拖欠工资']);
  });
});
