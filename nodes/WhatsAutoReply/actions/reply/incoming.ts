/** The inbound message (or the turn's messages) behind an item, content resolved from the store when kept by reference. */
import { type IDataObject, type INodeExecutionData } from 'n8n-workflow';
import { resolveContent } from '../../../shared/store/contentByReference';
import { type StoreAccess } from '../../../shared/store/access';
import { type InboundMessage } from '../../../shared/whatsapp';
import { isTurn, turnMessages } from './turn';
import { type Media, type TurnEntry, type UnderstandTools } from './understand';

export interface Incoming {
	message?: InboundMessage;
	media?: Media;
	expired?: boolean;
}

/**
 * An item as the shared `InboundMessage`: the trigger's items are one; a hand-built item has to carry
 * `messageId` and `type` (checked before this), the rest is read defensively (see understand.ts).
 */
export function inboundMessageOf(json: IDataObject): InboundMessage | undefined {
	return typeof json.messageId === 'string' && typeof json.type === 'string' ? (json as unknown as InboundMessage) : undefined;
}

/**
 * Reads an item's messages, each content reference resolved (decrypted from the store) at most once however
 * many steps of the reply need it: the joined text, the conversation commands, the understanding. One per item.
 */
export class ContentReader {
	private readonly resolved = new Map<string, Promise<Incoming>>();

	constructor(private readonly access: StoreAccess) {}

	/** One message (an item, or a message of a turn). */
	async message(json: IDataObject): Promise<Incoming> {
		if (typeof json.contentRef !== 'string') return { message: inboundMessageOf(json) };
		let found = this.resolved.get(json.contentRef);
		if (!found) {
			found = this.resolve(json);
			this.resolved.set(json.contentRef, found);
		}
		return await found;
	}

	private async resolve(json: IDataObject): Promise<Incoming> {
		const { store, keys } = this.access;
		if (!keys) throw new Error('This item’s content is kept by reference: attach the same WhatsAuto: Store API credential as the trigger.');
		const resolved = await resolveContent(store, keys, json);
		if (!resolved) return { expired: true };
		return { message: inboundMessageOf(resolved.message as IDataObject), media: resolved.media };
	}

	/** The texts of the turn's messages (those `include` accepts), in order (expired ones left out). */
	async turnTexts(json: IDataObject, include: (message: IDataObject) => boolean = () => true): Promise<string[]> {
		const texts: string[] = [];
		for (const m of turnMessages(json)) {
			if (!include(m)) continue;
			const text = typeof m.contentRef === 'string' && this.access.keys ? (await this.message(m)).message?.text : m.text;
			if (typeof text === 'string' && text.trim()) texts.push(text);
		}
		return texts;
	}

	/** The inbound message behind the item; a turn is answered as its last message, with everything the contact wrote in it as the text. */
	async incoming(item: INodeExecutionData): Promise<Incoming> {
		const found = await this.message(item.json);
		if (found.message && isTurn(item.json)) {
			const text = (await this.turnTexts(item.json)).join('\n');
			if (text) return { ...found, message: { ...found.message, text } as InboundMessage };
		}
		return found;
	}

	/**
	 * The turn answered as its last message that `answerable` accepts, with everything the contact wrote in it as the
	 * text: a turn that ends in a reaction (or another message that gets no answer of its own) is still answered.
	 */
	async lastAnswerable(item: INodeExecutionData, answerable: (message: InboundMessage) => boolean): Promise<InboundMessage | undefined> {
		const messages = turnMessages(item.json);
		for (let index = messages.length - 1; index >= 0; index--) {
			const { message } = await this.message(messages[index]);
			if (!message || !answerable(message)) continue;
			const text = (await this.turnTexts(item.json)).join('\n');
			return text ? ({ ...message, text } as InboundMessage) : message;
		}
		return undefined;
	}

	/**
	 * Each message of a turn, with tools fetching its own media: the turn item's binary data `data<i>` (the trigger
	 * downloaded it), else the store's copy or Meta's.
	 */
	async turnEntries(item: INodeExecutionData, toolsFor: (message: InboundMessage, binaryKey: string, stored: Media | undefined) => UnderstandTools): Promise<TurnEntry[]> {
		const entries: TurnEntry[] = [];
		for (const [index, json] of turnMessages(item.json).entries()) {
			const { message, media } = await this.message(json);
			if (message) entries.push({ message, tools: toolsFor(message, `data${index}`, media) });
		}
		return entries;
	}
}
