/** Allowed / Blocked Contacts. */
import { personOf } from '../../../shared/store/people';
import { type Recipient } from '../../../shared/transport/messages';
import { type ReplyOptions } from './options';
import type { Services } from './services';

/** A listed entry's pseudonym, once per execution (the services object lives as long as one): lists are parsed once, not per item. */
const pseudonyms = new WeakMap<Services, Map<string, Promise<string>>>();

/**
 * Why the Allowed / Blocked Contacts lists keep the bot quiet for this person, if they do: compared by pseudonym
 * (so items with contact references match the numbers listed), or by the number itself without the store's keys.
 */
export async function contactBarred(svc: Services, options: ReplyOptions, subject: string, recipient: Recipient): Promise<'blocked_contact' | 'not_allowed' | undefined> {
	if (!options.allowContacts.length && !options.denyContacts.length) return undefined;
	const { store, keys } = svc.access;
	const digits = (value: string) => value.replace(/\D/g, '');
	const own = subject && keys ? subject : recipient.waId ? digits(recipient.waId) : '';
	const known = pseudonyms.get(svc) ?? new Map<string, Promise<string>>();
	pseudonyms.set(svc, known);
	const idOf = async (entry: string): Promise<string> => {
		if (!(subject && keys)) return digits(entry);
		let id = known.get(entry);
		if (!id) {
			id = personOf(store, keys, entry).then((person) => person?.subject ?? '');
			known.set(entry, id);
		}
		return await id;
	};
	const listed = async (list: string[]) => {
		for (const entry of list) {
			const id = await idOf(entry);
			if (id && id === own) return true;
		}
		return false;
	};
	if (await listed(options.denyContacts)) return 'blocked_contact';
	if (options.allowContacts.length && !(await listed(options.allowContacts))) return 'not_allowed';
	return undefined;
}
