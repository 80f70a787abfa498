import { type ArticleContent, type ContentField, changedFields } from './article';

/**
 * What a start does with the articles the project ships (provinces/knowledge/articles.json),
 * decided from what the knowledge base holds: pure, so every rule is tested without a database.
 *
 * People's work wins. An article a supervisor or admin has edited (any version by a person) or
 * retired is theirs from then on: a release never overwrites it and never brings it back. Only an
 * article nobody has touched since the project wrote it follows the file, and only forwards.
 */

/** A shipped article as the file has it, already checked for this province. */
export interface ShippedContent {
  key: string;
  content: ArticleContent;
}

/** An article the project wrote from the file, as the knowledge base holds it. */
export interface ShippedRowState {
  id: string;
  key: string;
  version: number;
  retired: boolean;
  /** Any version saved by a person (supervisor, admin). */
  editedByPeople: boolean;
  /**
   * The content of every version the project wrote (no editor), oldest first: the last is what the
   * file said when it was last applied. Empty if none is found, which is treated as people's.
   */
  shippedVersions: ArticleContent[];
}

export interface ShippedSyncReport {
  inserted: number;
  updated: number;
  unchanged: number;
  keptEdited: number;
  keptRetired: number;
  /**
   * Untouched articles whose shipped text is one the project wrote before the latest: a node of
   * an older release starting beside newer ones (a rolling upgrade) never takes the text back.
   */
  keptNewer: number;
  /**
   * Keys of edited articles whose shipped text has changed since the project last wrote them:
   * a corrected citation people's version does not have, for a supervisor to compare.
   */
  shippedChangedButEdited: string[];
}

export interface ShippedSyncPlan {
  insert: ShippedContent[];
  update: (ShippedContent & { id: string; version: number; changed: ContentField[] })[];
  report: ShippedSyncReport;
}

export function planShippedSync(shipped: readonly ShippedContent[], rows: readonly ShippedRowState[]): ShippedSyncPlan {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const plan: ShippedSyncPlan = {
    insert: [],
    update: [],
    report: { inserted: 0, updated: 0, unchanged: 0, keptEdited: 0, keptRetired: 0, keptNewer: 0, shippedChangedButEdited: [] },
  };
  for (const article of shipped) {
    const row = byKey.get(article.key);
    if (!row) {
      plan.insert.push(article);
      continue;
    }
    const last = row.shippedVersions.at(-1);
    const changed = last ? changedFields(last, article.content) : [];
    // A text the project wrote before the latest comes from an older release, not a correction.
    const older = changed.length > 0 && row.shippedVersions.slice(0, -1).some((v) => changedFields(v, article.content).length === 0);
    if (row.retired) {
      plan.report.keptRetired += 1;
    } else if (row.editedByPeople || !last) {
      plan.report.keptEdited += 1;
      if (changed.length > 0 && !older) plan.report.shippedChangedButEdited.push(article.key);
    } else if (older) {
      plan.report.keptNewer += 1;
    } else if (changed.length > 0) {
      plan.update.push({ ...article, id: row.id, version: row.version, changed });
    } else {
      plan.report.unchanged += 1;
    }
  }
  plan.report.inserted = plan.insert.length;
  plan.report.updated = plan.update.length;
  return plan;
}
