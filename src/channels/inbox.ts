/**
 * The hand-over between a webhook endpoint and the channel's `receive` stream: the endpoint
 * puts a message in and waits; it is answered 200 only once the consumer asked for the next
 * message (so the one before is recorded). If the stream ends first, the endpoint answers an
 * error and the provider delivers the message again later.
 */
import type { InboundMessage } from './channel.ts';

interface Waiting {
  message: InboundMessage;
  settle: (accepted: boolean) => void;
}

export class Inbox {
  #queue: Waiting[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  /** Resolves true when the consumer took the message, false when the stream closed before it did. */
  put(message: InboundMessage): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((settle) => {
      this.#queue.push({ message, settle });
      this.#wake?.();
    });
  }

  async *stream(signal: AbortSignal): AsyncGenerator<InboundMessage> {
    const onAbort = () => this.#wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        const next = this.#queue[0];
        if (!next) {
          await new Promise<void>((r) => (this.#wake = r));
          this.#wake = undefined;
          continue;
        }
        yield next.message;
        // The consumer came back for more: the message is recorded.
        this.#queue.shift();
        next.settle(true);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) w.settle(false);
    this.#wake?.();
  }
}
