/** What every item of the Reply operation needs: the credentials' clients and store, who the item is about, where to send. */
import type OpenAI from 'openai';
import { type IDataObject, type IExecuteFunctions } from 'n8n-workflow';
import { stringOr } from '../../../shared/coerce';
import { opaqueKey } from '../../../shared/crypto';
import { isMessageRef, pseudonymOfRef } from '../../../shared/contact';
import { canonicalOf, contactOf, keysOfSender, type Sender } from '../../../shared/store/people';
import { cachedCredentials } from '../../../shared/credentialCache';
import { storeFor, type StoreAccess } from '../../../shared/store/access';
import { type HttpRequester } from '../../../shared/transport/graphApi';
import { type Recipient } from '../../../shared/transport/messages';
import { META_CREDENTIAL, toMetaCredentials, type MetaCredentials } from '../../../shared/transport/metaCredentials';
import { OPENAI_CREDENTIAL, openAiClient, toOpenAiCredentials } from '../../../shared/transport/openAi';
import { type ReplyOptions } from './options';

export interface Services {
	http: HttpRequester;
	meta: MetaCredentials;
	openai: OpenAI;
	access: StoreAccess;
}


export async function services(ctx: IExecuteFunctions): Promise<Services> {
	const meta = toMetaCredentials(await cachedCredentials(ctx, META_CREDENTIAL));
	const openai = openAiClient(toOpenAiCredentials(await cachedCredentials(ctx, OPENAI_CREDENTIAL)));
	return { http: async (options) => await ctx.helpers.httpRequest(options), meta, openai, access: await storeFor(ctx) };
}

/** Store keys for message ids: the store credential's pseudonym key, else the Meta app secret. */
export function opaqueFor(svc: Services): (value: string) => string {
	return svc.access.keys ? svc.access.keys.pseudonymise : (value) => opaqueKey(svc.meta.appSecret, value);
}

/** The ids an item or message shows for its sender (a pseudonymous item shows none, or those Show Contact Number put back). */
export function senderOf(json: IDataObject | undefined): Sender {
	const from = (json?.from ?? {}) as IDataObject;
	const waId = stringOr(from.waId, undefined);
	const userId = stringOr(from.userId, undefined);
	return { ...(waId ? { waId } : {}), ...(userId ? { userId } : {}) };
}

/** Where to send: the number when known (Meta's advice), else the business-scoped user id (`recipient`). */
export function recipientFor(sender: Sender): Recipient {
	return sender.waId ? { waId: sender.waId } : sender.userId ? { userId: sender.userId } : {};
}

/** Who an item is about, as the store knows them. */
export interface Who {
	/** The canonical pseudonym ('' without the store's keys). */
	subject: string;
	/** Every key an objection may be kept under: the canonical one, the sender's ids' own, aliases. */
	suppressionKeys: string[];
	/** Where to send; empty when only the resolved content will tell (see {@link replyToItem}). */
	recipient: Recipient;
	/** The item carries pseudonymous ids (contact reference, message reference): so does the output. */
	pseudonymous: boolean;
}

/**
 * The person behind an item: from its contact reference (`wa:…`, content by reference), whose number the store
 * keeps, or from the ids it shows, through the same normalisation and aliases as every node (store/people.ts).
 */
export async function whoIs(json: IDataObject, svc: Services): Promise<Who> {
	const { store, keys } = svc.access;
	const shown = senderOf(json);
	const ref = pseudonymOfRef(json.contactKey);
	if (ref && keys) {
		const known = (await contactOf(store, keys, ref)) ?? {};
		const sender = { ...known, ...shown };
		return { subject: ref, suppressionKeys: [...new Set([ref, ...(await keysOfSender(store, keys, sender))])], recipient: recipientFor(sender), pseudonymous: true };
	}
	if (!keys) return { subject: '', suppressionKeys: [], recipient: recipientFor(shown), pseudonymous: false };
	const subject = (await canonicalOf(store, keys, shown)) ?? '';
	return { subject, suppressionKeys: await keysOfSender(store, keys, shown), recipient: recipientFor(shown), pseudonymous: isMessageRef(json.messageId) };
}

/** Where the output says the reply went: the item's contact reference when it has one, else the number (or user id). */
export function shownRecipient(json: IDataObject): string {
	if (pseudonymOfRef(json.contactKey)) return String(json.contactKey);
	const sender = senderOf(json);
	return sender.waId ?? sender.userId ?? '';
}

export function baseOutput(json: IDataObject, options: ReplyOptions): IDataObject {
	return {
		messageId: json.messageId,
		to: shownRecipient(json),
		type: json.type,
		model: options.model,
	};
}
