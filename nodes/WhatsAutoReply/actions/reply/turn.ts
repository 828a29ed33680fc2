import type { IDataObject } from 'n8n-workflow';

import type { StoreAccess } from '../../../shared/store/access';
import { resolveContent } from '../../../shared/store/contentByReference';

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

/** The texts of the turn's messages (those `include` accepts), in order, contents resolved by reference (expired ones left out). */
export async function turnTexts(json: IDataObject, access: StoreAccess, include: (message: IDataObject) => boolean = () => true): Promise<string[]> {
	const texts: string[] = [];
	for (const m of turnMessages(json)) {
		if (!include(m)) continue;
		let text: unknown = m.text;
		if (typeof m.contentRef === 'string' && access.keys) text = (await resolveContent(access.store, access.keys, m))?.message.text;
		if (typeof text === 'string' && text.trim()) texts.push(text);
	}
	return texts;
}

/** The texts of the turn's messages joined, in order, contents resolved by reference (expired ones left out). */
export async function turnText(json: IDataObject, access: StoreAccess): Promise<string> {
	return (await turnTexts(json, access)).join('\n');
}
