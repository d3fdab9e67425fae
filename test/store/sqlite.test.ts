import { join } from 'node:path';
import { createSqliteStore } from '../../src/store/index.ts';
import { describeApprovals } from '../conformance/approvals.case.ts';
import { describeLedger } from '../conformance/ledger.case.ts';
import { describeMemory } from '../conformance/memory.case.ts';
import { describeTaskQueue, type StoreCase } from '../conformance/queue.case.ts';
import { tempDir } from '../helpers/util.ts';

const sqlite: StoreCase = {
  name: 'sqlite',
  async create() {
    const { dir, cleanup } = tempDir('agentnet-store-');
    const path = join(dir, 'store.db');
    let offset = 0;
    return {
      store: createSqliteStore({ path, now: () => Date.now() + offset, backoffMs: 1000 }),
      spec: { backend: 'sqlite', path },
      advance: (ms) => void (offset += ms),
      cleanup: async () => cleanup(),
    };
  },
};

describeTaskQueue(sqlite);
describeMemory(sqlite);
describeLedger(sqlite);
describeApprovals(sqlite);
