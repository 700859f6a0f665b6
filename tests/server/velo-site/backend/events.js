// The site's events module: Velo calls these by name with Velo's event shape.
import { appendFileSync } from 'node:fs';

export function wixLoyalty_onAccountPointsUpdated(event) {
  appendFileSync(process.env.VELO_EVENT_LOG, `${JSON.stringify({ balance: event.data.account.points.balance, id: event.metadata.id, eventTime: event.metadata.eventTime })}\n`);
}
