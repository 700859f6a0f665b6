// npm run demo: a loyalty program end to end over the in-memory default backend.
import wixLoyaltyBackend, { createLoyaltyBackend, memoryStorage, isLoyaltyError } from '../pkg/node/index.mjs';

const people = {
  '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d': { name: 'Dana Levi', email: 'dana@example.com' },
  '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b': { name: 'Omar Haddad', email: 'omar@example.com' },
  'c0ffee00-1234-4abc-9def-0123456789ab': { name: 'Mei Chen', email: 'mei@example.com' },
};

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s) => console.log(`\n${bold('▸ ' + s)}`);

function table(rows, columns) {
  const cells = rows.map((r) => columns.map(([, get]) => String(get(r))));
  const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const right = (i) => cells.every((c) => /^[-+]?[\d,]+$/.test(c[i]) || c[i] === '');
  const line = (values) => values.map((v, i) => (right(i) ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  console.log('  ' + bold(line(columns.map(([t]) => t))));
  console.log('  ' + widths.map((w) => '─'.repeat(w)).join('  '));
  for (const c of cells) console.log('  ' + line(c));
}

async function expectFailure(what, promise) {
  try {
    await promise;
    console.log(`  ✗ ${what}: unexpectedly succeeded`);
  } catch (e) {
    if (!isLoyaltyError(e)) throw e;
    console.log(`  ✓ ${what} refused: ${e.code} / ${e.reason}`);
    console.log(`    ${e.message}`);
  }
}

// The default export is ready to use, exactly like `import wixLoyaltyBackend from 'wix-loyalty-backend'`.
step('The default backend (in-memory)');
const { loyaltyProgram: initial } = await wixLoyaltyBackend.program.getLoyaltyProgram();
console.log(`  a fresh program is ${initial.status}`);

// An instance of our own, with a contacts resolver and an event log.
const events = [];
const loyalty = createLoyaltyBackend({
  storage: memoryStorage(),
  contacts: async (contactId) => people[contactId] ?? null,
  onEvent: (event) => events.push(event.metadata.eventType.replace('wix.loyalty.v1.', '')),
});

step('Activate the program');
await loyalty.programs.updateLoyaltyProgram({ name: 'Coffee Stars', pointDefinition: { customName: 'Stars' } });
const { loyaltyProgram } = await loyalty.programs.activateLoyaltyProgram();
console.log(`  "${loyaltyProgram.name}" is ${loyaltyProgram.status}, points are called ${loyaltyProgram.pointDefinition.customName}`);

step('Create accounts');
const ids = {};
for (const contactId of Object.keys(people)) {
  const { account } = await loyalty.accounts.createAccount(contactId);
  ids[account._id] = account.contact.name;
  console.log(`  ${account.contact.name.padEnd(12)} → account ${account._id}`);
}
const [dana, omar, mei] = Object.keys(ids);
await expectFailure('a second account for Dana', loyalty.accounts.createAccount(Object.keys(people)[0]));

step('Earn points');
const purchase = { amount: 120, appId: 'coffee-shop', idempotencyKey: 'order-1001', orderId: '1001', description: 'Latte and croissant' };
const first = await loyalty.accounts.earnPoints(dana, purchase);
console.log(`  Dana earns 120 for order 1001 → balance ${first.account.points.balance} (transaction ${first.transactionId})`);
await loyalty.accounts.earnPoints(omar, { amount: 45, appId: 'coffee-shop', idempotencyKey: 'order-1002', description: 'Espresso' });
await loyalty.accounts.earnPoints(mei, { amount: 300, appId: 'coffee-shop', idempotencyKey: 'order-1003', description: 'Beans, 1 kg' });

step('Retry a request after a timeout (same idempotency key)');
const retry = await loyalty.accounts.earnPoints(dana, purchase);
console.log(`  the retry returns transaction ${retry.transactionId} (${retry.transactionId === first.transactionId ? 'the original one' : 'A NEW ONE'}); balance still ${retry.account.points.balance}`);
await expectFailure('the same key with another amount', loyalty.accounts.earnPoints(dana, { ...purchase, amount: 999 }));

step('Adjust points');
const welcome = await loyalty.accounts.adjustPoints(omar, { amount: 50, description: 'Welcome bonus' });
console.log(`  Omar gets a 50-point bonus → balance ${welcome.account.points.balance}, revision ${welcome.account.revision}`);
const set = await loyalty.accounts.adjustPoints(mei, { balance: 250, description: 'Correction after a refund', revision: '2' });
console.log(`  Mei's balance is set to 250 with revision "2" → revision ${set.account.revision}`);
await expectFailure('an overdraft (Omar −500)', loyalty.accounts.adjustPoints(omar, { amount: -500 }));
await expectFailure('a stale revision (Mei, revision "2" again)', loyalty.accounts.adjustPoints(mei, { amount: 10, revision: '2' }));
await expectFailure('a fractional amount', loyalty.accounts.adjustPoints(mei, { amount: 2.5 }));

step('Accounts');
const { accounts } = await loyalty.accounts.listAccounts();
table(accounts, [
  ['Customer', (a) => a.contact.name],
  ['Balance', (a) => a.points.balance],
  ['Earned', (a) => a.points.earned],
  ['Adjusted', (a) => a.points.adjusted],
  ['Revision', (a) => a.revision],
  ['Last activity', (a) => a.lastActivityDate?.toISOString().replace('T', ' ').slice(0, 19) ?? ''],
]);

step('Ledger (oldest first)');
const { items } = await loyalty.transactions.queryLoyaltyTransactions().ascending('_createdDate').limit(100).find();
table(items, [
  ['Time', (t) => t._createdDate.toISOString().slice(11, 23)],
  ['Customer', (t) => ids[t.accountId]],
  ['Type', (t) => t.transactionType],
  ['Amount', (t) => (t.amount > 0 ? `+${t.amount}` : t.amount)],
  ['Description', (t) => t.description],
  ['Detail', (t) => (t.adjustInfo ? `${t.adjustInfo.amountBefore} → ${t.adjustInfo.amountAfter}` : `key ${t.idempotencyKey}`)],
]);

step('Events delivered after each commit');
console.log('  ' + events.join(', '));

const total = accounts.reduce((s, a) => s + a.points.balance, 0);
const ledgerTotal = items.reduce((s, t) => s + t.amount, 0);
console.log(`\n${bold('Check')}: sum of balances ${total} = sum of the ledger ${ledgerTotal} ${total === ledgerTotal ? '✓' : '✗'}`);
if (total !== ledgerTotal) process.exit(1);
