/** An HTTP server that answers each request with the next scripted step, and records requests. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type Step<Reply> =
  | { reply: Reply }
  | { error: number; headers?: Record<string, string>; body: unknown }
  | { drop: true }
  | { delayMs: number; then: Step<Reply> };

export interface ScriptedServer<Reply> {
  /** Base URL, e.g. http://127.0.0.1:4321 */
  url: string;
  requests: Array<{ path: string; headers: IncomingMessage['headers']; body: any; at: number }>;
  /** Scripted requests answered so far (a delayed step counts when its answer goes out). */
  readonly answered: number;
  script(...steps: Step<Reply>[]): void;
  close(): Promise<void>;
}

/** Answers GET requests other than the scripted route (e.g. a models lookup): [status, body], or undefined for 404. */
export type GetHandler = (path: string, headers: IncomingMessage['headers']) => [number, unknown] | undefined;

export interface ScriptedServerOptions<Reply> {
  /** The step for a request when no scripted step is left (default: a 500 saying so). */
  fallback?: (body: any) => Step<Reply>;
  /** Keep only the last N requests in `requests` (a long soak would otherwise hold them all). */
  keep?: number;
}

export async function startScriptedServer<Reply>(
  route: string,
  render: (reply: Reply, body: any) => unknown,
  get?: GetHandler,
  options: ScriptedServerOptions<Reply> = {},
): Promise<ScriptedServer<Reply>> {
  const queue: Step<Reply>[] = [];
  const requests: ScriptedServer<Reply>['requests'] = [];
  let answered = 0;
  const respond = async (step: Step<Reply> | undefined, body: any, res: ServerResponse) => {
    if (!step) return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake: no scripted step left' } }));
    if ('delayMs' in step) {
      await new Promise((r) => setTimeout(r, step.delayMs));
      if (res.destroyed) return;
      return respond(step.then, body, res);
    }
    if ('drop' in step) return void res.socket?.destroy();
    if ('error' in step) return void res.writeHead(step.error, { 'content-type': 'application/json', ...step.headers }).end(JSON.stringify(step.body));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(render(step.reply, body)));
  };
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      const answer = req.method === 'GET' ? get?.(req.url?.split('?')[0] ?? '', req.headers) : undefined;
      if (answer) return void res.writeHead(answer[0], { 'content-type': 'application/json' }).end(JSON.stringify(answer[1]));
      if (req.method !== 'POST' || req.url?.split('?')[0] !== route) {
        return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `fake: no route ${req.method} ${req.url}` } }));
      }
      const body = text ? JSON.parse(text) : undefined;
      requests.push({ path: req.url, headers: req.headers, body, at: Date.now() });
      if (options.keep !== undefined && requests.length > options.keep) requests.splice(0, requests.length - options.keep);
      res.once('finish', () => answered++);
      void respond(queue.shift() ?? options.fallback?.(body), body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get answered() {
      return answered;
    },
    script: (...steps) => void queue.push(...steps),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
