// The package from CommonJS: require() works, and shares one instance with import().
const { test } = require('node:test');
const assert = require('node:assert/strict');
const pkg = require('wix-loyalty-wasm');
const { runStorageConformance } = require('wix-loyalty-wasm/conformance');

test('require() gives the default backend, the named modules and the factory', async () => {
  const wixLoyaltyBackend = pkg.default;
  assert.equal(typeof pkg.createLoyaltyBackend, 'function');
  assert.equal(pkg.accounts, wixLoyaltyBackend.accounts);
  assert.equal(pkg.program, wixLoyaltyBackend.programs);
  const { loyaltyProgram } = await wixLoyaltyBackend.programs.getLoyaltyProgram();
  assert.equal(loyaltyProgram.status, 'DRAFT');
  const loyalty = pkg.createLoyaltyBackend({ storage: pkg.memoryStorage() });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  const r = await loyalty.accounts.adjustPoints(account._id, { amount: 50, revision: account.revision });
  assert.equal(r.account.points.balance, 50);
  await assert.rejects(loyalty.accounts.adjustPoints(account._id, { amount: -51 }), (e) => e instanceof pkg.LoyaltyError && e.reason === 'INSUFFICIENT_POINTS');
});

test('import() from CommonJS shares the same instance (one default backend, one error class)', async () => {
  const esm = await import('wix-loyalty-wasm');
  assert.equal(esm.default, pkg.default);
  assert.equal(esm.LoyaltyError, pkg.LoyaltyError);
});

test('the conformance kit loads from CommonJS', async () => {
  const report = await runStorageConformance(() => pkg.memoryStorage());
  assert.equal(report.failed.length, 0);
});
