// @ts-check
/** The queue figures of the agent's region (queue.stats frames), shown while idle or ringing. */

import { minutesSeconds, setText } from './view.js';

/** @param {import('./model.js').DeskModel} model */
export function createQueueFigures(model) {
  /** @param {import('./types.js').QueueStats} stats */
  function onStats(stats) {
    model.queue = stats;
    render();
  }

  function render() {
    const q = model.queue;
    setText('queue-waiting', q?.waiting);
    setText('queue-longest', q ? minutesSeconds(q.longestWaitSeconds ?? 0) : null);
    setText('queue-ready', q?.agentsReady);
    setText('queue-estimate', q?.estimatedWaitSeconds == null ? null : minutesSeconds(q.estimatedWaitSeconds));
  }

  return { onStats, render };
}
