import type { IDataObject } from 'n8n-workflow';


/**
 * A turn from the trigger's conversation gate (gate/turns.ts): one item for what a contact wrote before they
 * paused. The Auto-Reply answers it as its last message (quoted when quoting is on), with the texts of all its
 * messages, in order, as what the customer said: one model call, one reply; the outcome is recorded for each.
 */
export function isTurn(json: IDataObject): boolean {
	return json.kind === 'turn' && Array.isArray(json.messages);
}

export function turnMessages(json: IDataObject): IDataObject[] {
	return isTurn(json) ? (json.messages as IDataObject[]).filter((m) => m && typeof m === 'object') : [];
}

/** Every message id of the turn but the one the item itself carries (its last). */
export function otherMessageIds(json: IDataObject): string[] {
	const ids = Array.isArray(json.messageIds) ? (json.messageIds as unknown[]) : turnMessages(json).map((m) => m.messageId);
	return ids.filter((id): id is string => typeof id === 'string' && id !== json.messageId);
}

/** The content references of the turn's messages (to forget once answered). */
export function turnContentRefs(json: IDataObject): string[] {
	return turnMessages(json)
		.map((m) => m.contentRef)
		.filter((ref): ref is string => typeof ref === 'string');
}
