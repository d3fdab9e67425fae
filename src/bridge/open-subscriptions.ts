/** The subscriptions a bridge has open, so closing the bridge ends them; each leaves the set when closed. */
import type { Subscription } from './bridge.ts';

export class OpenSubscriptions {
  readonly #open = new Set<Subscription>();

  add(sub: Subscription): Subscription {
    this.#open.add(sub);
    return {
      ready: sub.ready,
      cursor: () => sub.cursor(),
      close: async () => {
        this.#open.delete(sub);
        await sub.close();
      },
    };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((s) => s.close()));
  }
}
