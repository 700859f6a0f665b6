// The official SDK against the engine in-process: createClient({ fetch: createWixFetch(loyalty) }).
import { createLoyaltyBackend, memoryStorage, createWixFetch } from 'wix-loyalty-wasm';
import { sdkSuite, contacts } from './suite.mjs';

for (const apiKey of [undefined, 'secret-key-1']) {
  sdkSuite(apiKey ? 'in-process, with an API key' : 'in-process', async () => {
    const direct = createLoyaltyBackend({ storage: memoryStorage(), contacts });
    return {
      fetch: createWixFetch(direct, apiKey ? { apiKey } : {}),
      direct,
      apiKey,
      token: (memberId) => direct.memberToken(memberId),
      close: async () => {},
    };
  });
}
