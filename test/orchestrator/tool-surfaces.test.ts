/**
 * Each network tool is defined once and served on two surfaces: an agent's model (the tool
 * loop) and `agentnet mcp`. A tool both surfaces offer sends the same input JSON Schema on both,
 * read here through the official SDK's client (what Claude Code sees) and from the specs the
 * model providers send.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { grantedTools } from '../../src/agent/tools/index.ts';
import { openBridge, type Bridge } from '../../src/bridge/index.ts';
import { bridgeSpec, loadConfig, storeSpec, type Config } from '../../src/config/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { createMcpServer, MCP_TOOL_NAMES } from '../../src/orchestrator/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { tempDir } from '../helpers/util.ts';

/** The tools a model can be granted that `agentnet mcp` serves too (bridge_reply is two different tools). */
const SHARED = ['bridge_send', 'memory_get', 'memory_set', 'task_enqueue'];

describe('the model surface and the MCP surface of a shared tool', () => {
  const t = tempDir();
  let config: Config;
  let bridge: Bridge;
  let store: Store;
  let client: Client;

  before(async () => {
    const file = join(t.dir, 'agentnet.yaml');
    writeFileSync(file, `network: surfaces\nagents:\n  claude: { role: orchestrator, tools: [${SHARED.join(', ')}], health: { port: 1 } }\n  kami: { role: relay, health: { port: 2 } }\n`);
    config = loadConfig(file, { env: {} }).config;
    const logger = createMemoryLogger();
    bridge = await openBridge(bridgeSpec(config, { watch: false }), logger);
    store = await openStore(storeSpec(config), logger);
    const server = createMcpServer({ config, bridge, store, agent: 'claude', holder: 'test', version: '0.0.0' });
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'surfaces', version: '1.0.0' });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  });
  after(async () => {
    await client?.close();
    await bridge?.close();
    await store?.close();
    t.cleanup();
  });

  it('has the same input JSON Schema on both', async () => {
    const model = grantedTools(config.agents.claude!, config, bridge, createMemoryLogger(), store);
    const { tools: mcp } = await client.listTools();
    assert.deepEqual(model.map((x) => x.spec.name), SHARED, 'the model is offered every shared tool it is granted');
    for (const name of SHARED) {
      const onModel = model.find((x) => x.spec.name === name)!.spec.inputSchema;
      const onMcp = mcp.find((x) => x.name === name)?.inputSchema;
      assert.ok(onMcp, `agentnet mcp serves ${name}`);
      assert.deepEqual(onModel, onMcp, name);
    }
  });

  it('serves the tools a headless run is granted from (MCP_TOOL_NAMES), in that order', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((x) => x.name), [...MCP_TOOL_NAMES]);
  });
});
