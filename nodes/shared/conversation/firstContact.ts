/**
 * The first-contact AI disclosure (EU AI Act Art. 50; GDPR Art. 21(4)): told once per person, recorded under
 * their pseudonym (erased with them, after which they would be told again).
 */
import { expiryOf, SCOPES } from '../store/scopes';
import type { WhatsAutoStore } from '../store/types';

const SCOPE = SCOPES.aiDisclosure;

export async function wasDisclosed(store: WhatsAutoStore, subject: string): Promise<boolean> {
	return (await store.getRecord(SCOPE.name, subject)) !== undefined;
}

export async function recordDisclosure(store: WhatsAutoStore, subject: string, now: Date = new Date()): Promise<void> {
	await store.putRecord({ scope: SCOPE.name, key: subject, contactKey: subject, value: { at: now.toISOString() }, expiresAt: expiryOf(SCOPE, now.getTime()) });
}
