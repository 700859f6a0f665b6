// Legacy Velo code of our own: wix-loyalty-backend's singular modules.
import wixLoyaltyBackend, { account } from 'wix-loyalty-backend';

export async function openProgram(contactId) {
  await wixLoyaltyBackend.program.activateLoyaltyProgram();
  const { account: created } = await account.createAccount(contactId);
  return created._id;
}

export async function legacyBalance(accountId) {
  const { account: found } = await account.getAccount(accountId);
  return { balance: found.points.balance, latest: found.latestTransaction?.type ?? null };
}
