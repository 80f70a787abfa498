import type { Redis } from 'ioredis';

/**
 * ioredis ends a client for good in a few races — a Sentinel connect cut short by a failover
 * notice was one (ioredis 6.0) — and an ended client answers "Connection is closed." to every
 * command until the process restarts. A hotline node must not need a restart for that: an end
 * nobody asked for is followed by a fresh connect. Returns the function that stands this down
 * before the owner closes the client on purpose.
 */
export function keepConnected(client: Redis, onGaveUp?: () => void, retryMs = 1_000): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const reconnect = () => {
    if (stopped || client.status !== 'end') return;
    client.connect().catch(() => {
      // connect() rejects while Redis is still away; the client's own retries go on from here,
      // and a new end brings this back.
    });
  };
  const onEnd = () => {
    if (stopped) return;
    onGaveUp?.();
    timer = setTimeout(reconnect, retryMs);
    timer.unref();
  };
  client.on('end', onEnd);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    client.off('end', onEnd);
  };
}
