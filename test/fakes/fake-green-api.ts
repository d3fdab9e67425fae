/**
 * A fake Green API instance speaking the documented wire format (../shared/specs/channels.md):
 * `{apiUrl}/waInstance{idInstance}/{method}/{apiTokenInstance}`, JSON bodies, 401 for a wrong
 * token, 403 for a wrong instance. Records what was sent; faults can be injected.
 */
import { createServer } from 'node:http';

export interface SentMessage {
  chatId: string;
  message: string;
  idMessage: string;
}

export interface FakeGreenApi {
  url: string;
  idInstance: string;
  apiToken: string;
  sent: SentMessage[];
  state: string;
  /** The next N requests fail with this HTTP status. */
  fail(status: number, times?: number): void;
  close(): Promise<void>;
}

export async function startFakeGreenApi(options: { idInstance?: string; apiToken?: string } = {}): Promise<FakeGreenApi> {
  const idInstance = options.idInstance ?? '1101000001';
  const apiToken = options.apiToken ?? 'd75b3a66374942c5b3c019c698abc2067e151558acbd412345';
  const faults: number[] = [];
  let n = 0;
  const fake: Omit<FakeGreenApi, 'url' | 'close'> = {
    idInstance,
    apiToken,
    sent: [],
    state: 'authorized',
    fail: (status, times = 1) => void faults.push(...Array(times).fill(status)),
  };
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      const m = /^\/waInstance(\d+)\/([A-Za-z]+)\/([^/?]+)/.exec(req.url ?? '');
      if (!m) return json(res, 404, { message: 'not found' });
      const [, id, method, token] = m;
      if (id !== idInstance) return json(res, 403, { message: 'Forbidden' });
      if (token !== apiToken) return json(res, 401, { message: 'Unauthorized' });
      const fault = faults.shift();
      if (fault) return json(res, fault, { statusCode: fault, timestamp: new Date().toISOString(), path: req.url, message: `fake fault ${fault}` });
      const name = method!.toLowerCase();
      if (name === 'getstateinstance' && req.method === 'GET') return json(res, 200, { stateInstance: fake.state });
      if (name === 'sendmessage' && req.method === 'POST') {
        const body = JSON.parse(text || '{}') as { chatId?: string; message?: string };
        if (typeof body.chatId !== 'string' || typeof body.message !== 'string') {
          return json(res, 400, { statusCode: 400, path: req.url, message: 'Validation failed. Details: chatId and message are required' });
        }
        if (body.message.length > 20_000) {
          return json(res, 400, { statusCode: 400, path: req.url, message: "Validation failed. Details: 'message' length must be less than or equal to 20000 characters long" });
        }
        const idMessage = `3EB0C767D097B7C7C${String(++n).padStart(3, '0')}`;
        fake.sent.push({ chatId: body.chatId, message: body.message, idMessage });
        return json(res, 200, { idMessage });
      }
      return json(res, 404, { message: `fake: this fake answers GET getStateInstance and POST sendMessage, not ${req.method} ${method}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
