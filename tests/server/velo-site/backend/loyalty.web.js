// A Velo web module of our own, as a site would write it: wix-loyalty.v2 with elevate().
import { Permissions, webMethod } from 'wix-web-module';
import { accounts } from 'wix-loyalty.v2';
import { elevate } from 'wix-auth';
import { currentMember } from 'wix-members-backend';

export const myBalance = webMethod(Permissions.SiteMember, async () => {
  const { account } = await accounts.getCurrentMemberAccount();
  return account.points.balance;
});

export const award = webMethod(Permissions.Anyone, async (accountId, amount, orderId) => {
  const earn = elevate(accounts.earnPoints);
  const { account } = await earn(accountId, { amount, appId: 'velo-site', idempotencyKey: `order-${orderId}` });
  return account.points.balance;
});

export const peek = webMethod(Permissions.Anyone, async (accountId) => (await accounts.getAccount(accountId)).points.balance);

export const elevatedPeek = webMethod(Permissions.Anyone, async (accountId) => (await elevate(accounts.getAccount)(accountId)).points.balance);

export const whoAmI = webMethod(Permissions.Anyone, () => currentMember.getMember());

export const adminReport = webMethod(Permissions.Admin, async () => (await elevate(accounts.getProgramTotals)()).points.balance);
