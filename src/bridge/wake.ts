/**
 * The delivery loop both bridge backends' subscriptions share: each wake-up (a notification, a
 * poll) runs `work`, never two at once; a wake-up during a run asks for one more run after it.
 */
export function coalescedRunner(work: () => Promise<void>, o: { stopped: () => boolean; onError: (err: unknown) => void }): () => void {
  let running = false;
  let dirty = false;
  return function wake(): void {
    if (o.stopped()) return;
    if (running) {
      dirty = true;
      return;
    }
    running = true;
    void (async () => {
      try {
        do {
          dirty = false;
          await work();
        } while (dirty && !o.stopped());
      } catch (err) {
        o.onError(err);
      } finally {
        running = false;
      }
    })();
  };
}
