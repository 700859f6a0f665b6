// `node --import wix-loyalty-wasm/velo app.js`: Velo backend code runs unchanged. Its imports of
// wix-loyalty.v2, wix-loyalty-backend, wix-auth, wix-web-module and wix-members-backend resolve
// to this package (./hooks.mjs), all over one backend configured from a file or the environment
// (./backend.mjs), and the site's backend/events.js, when configured, receives the events.
import * as nodeModule from 'node:module';

if (typeof nodeModule.register !== 'function') {
  console.error(`wix-loyalty-wasm/velo: the loader needs Node 20.6 or later (this is ${process.version})`);
  process.exit(2);
}
nodeModule.register('./hooks.mjs', import.meta.url);

// The backend first, then the events module: the latter may import the Velo modules itself,
// which need the backend made.
const { loadEvents } = await import('./backend.mjs');
await loadEvents();
