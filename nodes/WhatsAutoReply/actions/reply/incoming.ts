/** The inbound message (or the turn's messages) behind an item, content resolved from the store when kept by reference. */
import { type IDataObject, type INodeExecutionData } from 'n8n-workflow';
import { resolveContent } from '../../../shared/store/contentByReference';
import { type StoreAccess } from '../../../shared/store/access';
import { type InboundMessage } from '../../../shared/whatsapp';
import { isTurn, turnMessages, turnText } from './turn';
import { type Media, type TurnEntry, type UnderstandTools } from './understand';

/**
 * An item as the shared `InboundMessage`: the trigger's items are one; a hand-built item has to carry
 * `messageId` and `type` (checked before this), the rest is read defensively (see understand.ts).
 */
export function inboundMessageOf(json: IDataObject): InboundMessage | undefined {
	return typeof json.messageId === 'string' && typeof json.type === 'string' ? (json as unknown as InboundMessage) : undefined;
}

/** The inbound message behind the item, content resolved when the trigger kept it by reference. */
export async function incoming(item: INodeExecutionData, access: StoreAccess): Promise<{ message?: InboundMessage; media?: Media; expired?: boolean }> {
	const found = await incomingMessage(item, access);
	// A turn is answered as its last message, with everything the contact wrote in it as the text.
	if (found.message && isTurn(item.json)) {
		const text = await turnText(item.json, access);
		if (text) found.message = { ...found.message, text } as InboundMessage;
	}
	return found;
}

/**
 * Each message of a turn, content resolved, with tools fetching its own media: the turn item's binary data
 * `data<i>` (the trigger downloaded it), else the store's copy or Meta's.
 */
export async function turnEntries(
	item: INodeExecutionData,
	access: StoreAccess,
	toolsFor: (message: InboundMessage, binaryKey: string, stored: Media | undefined) => UnderstandTools,
): Promise<TurnEntry[]> {
	const entries: TurnEntry[] = [];
	for (const [index, json] of turnMessages(item.json).entries()) {
		const { message, media } = await incomingMessage({ json }, access);
		if (message) entries.push({ message, tools: toolsFor(message, `data${index}`, media) });
	}
	return entries;
}

export async function incomingMessage(item: INodeExecutionData, access: StoreAccess): Promise<{ message?: InboundMessage; media?: Media; expired?: boolean }> {
	if (typeof item.json.contentRef !== 'string') return { message: inboundMessageOf(item.json) };
	if (!access.keys) throw new Error('This item’s content is kept by reference: attach the same WhatsAuto: Store API credential as the trigger.');
	const resolved = await resolveContent(access.store, access.keys, item.json);
	if (!resolved) return { expired: true };
	return { message: inboundMessageOf(resolved.message as IDataObject), media: resolved.media };
}
