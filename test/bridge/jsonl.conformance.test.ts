import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJsonlBridge } from '../../src/bridge/index.ts';
import { describeBridge } from '../conformance/bridge.case.ts';
import { tempDir } from '../helpers/util.ts';

describeBridge({
  name: 'jsonl',
  async create(logger) {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'messages.jsonl');
    const spec = { backend: 'jsonl', path, pollIntervalMs: 200 };
    return {
      bridge: createJsonlBridge({ path, pollIntervalMs: 200, logger }),
      spec,
      reopen: async () => createJsonlBridge({ path, pollIntervalMs: 200, logger }),
      rawWrite: (text) => appendFileSync(path, text),
      cleanup: async () => cleanup(),
    };
  },
});
