/**
 * One normalisation of contact keys for every node (nodes/shared/contact.ts): numbers as digits, business-scoped
 * user ids exactly as Meta sends them (never turned into digits), contact references for pseudonymous items.
 */
import {
	canonicalId,
	contactRef,
	isMessageRef,
	maskContact,
	messageRef,
	normaliseContact,
	parseContactInput,
	pseudonymOf,
	pseudonymOfRef,
	recipientOf,
} from '../../nodes/shared/contact';
import { toContentKeys } from '../../nodes/shared/store/access';
import { PrivacyDesk } from '../../nodes/shared/privacy/desk';
import type { WhatsAutoStore } from '../../nodes/shared/store';

const keys = toContentKeys({ secretKey: 'contact-normalisation-secret-0123456789abcdef' })!;
const BSUID = 'US.13491208655302741918';

describe('normaliseContact', () => {
	it('takes a number as its digits, however it is written', () => {
		for (const written of ['16505551234', '+16505551234', '+1 650-555-1234', '+1 (650) 555 1234', ' 1.650.555.1234 ', 16505551234]) {
			expect(normaliseContact(written)).toEqual({ kind: 'phone', waId: '16505551234' });
		}
	});

	it('keeps a business-scoped user id as it is: never digits', () => {
		expect(normaliseContact(BSUID)).toEqual({ kind: 'user_id', userId: BSUID });
		expect(normaliseContact(` ${BSUID} `)).toEqual({ kind: 'user_id', userId: BSUID });
		expect(normaliseContact('IN.1648738043044942')).toEqual({ kind: 'user_id', userId: 'IN.1648738043044942' });
		expect(normaliseContact('US.ENT.11815799212886844830')).toEqual({ kind: 'user_id', userId: 'US.ENT.11815799212886844830' });
		expect(normaliseContact('BR.a1B2c3')).toEqual({ kind: 'user_id', userId: 'BR.a1B2c3' });
	});

	it('refuses what is neither', () => {
		for (const bad of ['', 'abc', '12345', '1234567890123456', 'us.1349', 'USA.1349', 'US.', 'US.13 49', '+1 650 555 1234 ext 9', null, undefined, {}, -5, 1.5]) {
			expect(normaliseContact(bad)).toBeUndefined();
		}
	});

	it('names the canonical id: the number when there is one (from ?? from_user_id), else the user id', () => {
		expect(canonicalId({ waId: '16505551234', userId: BSUID })).toEqual({ kind: 'phone', waId: '16505551234' });
		expect(canonicalId({ userId: BSUID })).toEqual({ kind: 'user_id', userId: BSUID });
		expect(canonicalId({ waId: 'garbage', userId: BSUID })).toEqual({ kind: 'user_id', userId: BSUID });
		expect(canonicalId({})).toBeUndefined();
	});

	it('sends to a number with `to` and to a user id with `recipient`', () => {
		expect(recipientOf({ kind: 'phone', waId: '16505551234' })).toEqual({ waId: '16505551234' });
		expect(recipientOf({ kind: 'user_id', userId: BSUID })).toEqual({ userId: BSUID });
	});
});

describe('one pseudonym over the normal form', () => {
	it('gives every way of writing a number one pseudonym, compatible with what the store already holds', () => {
		const expected = keys.pseudonymise('16505551234');
		for (const written of ['+1 650-555-1234', '16505551234']) expect(pseudonymOf(keys.pseudonymise, normaliseContact(written)!)).toBe(expected);
		expect(pseudonymOf(keys.pseudonymise, normaliseContact(BSUID)!)).toBe(keys.pseudonymise(BSUID));
		expect(pseudonymOf(keys.pseudonymise, normaliseContact(BSUID)!)).not.toBe(keys.pseudonymise('13491208655302741918'));
	});

	it('is what the privacy desk keys a person by, for numbers, user ids and contact references alike', () => {
		const desk = new PrivacyDesk({} as WhatsAutoStore, keys);
		expect(desk.subjectOf('+1 (650) 555-1234')).toBe(keys.pseudonymise('16505551234'));
		expect(desk.subjectOf(BSUID)).toBe(keys.pseudonymise(BSUID));
		const pseudonym = keys.pseudonymise('16505551234');
		expect(desk.subjectOf(contactRef(pseudonym))).toBe(pseudonym);
	});
});

describe('references on pseudonymous items', () => {
	it('reads a contact reference back, and nothing else as one', () => {
		const pseudonym = keys.pseudonymise('16505551234');
		expect(contactRef(pseudonym)).toBe(`wa:${pseudonym}`);
		expect(pseudonymOfRef(`wa:${pseudonym}`)).toBe(pseudonym);
		expect(parseContactInput(`wa:${pseudonym}`)).toEqual({ kind: 'ref', pseudonym });
		for (const other of ['wa:123', `wa:${pseudonym.toUpperCase()}`, pseudonym, '16505551234', undefined]) expect(pseudonymOfRef(other)).toBeUndefined();
		expect(parseContactInput('16505551234')).toEqual({ kind: 'phone', waId: '16505551234' });
	});

	it('turns a wamid into a stable keyed reference that shows nothing of it', () => {
		const wamid = 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';
		const ref = messageRef(keys.pseudonymise, wamid);
		expect(ref).toMatch(/^m:[0-9a-f]{64}$/);
		expect(messageRef(keys.pseudonymise, wamid)).toBe(ref);
		expect(messageRef(keys.pseudonymise, ref)).toBe(ref);
		expect(isMessageRef(ref)).toBe(true);
		expect(isMessageRef(wamid)).toBe(false);
		expect(ref).not.toContain('HBgL');
	});

	it('masks what it shows of a contact', () => {
		expect(maskContact('+1 650 555 1234')).toBe('••••234');
		expect(maskContact(BSUID)).toBe('••••918');
		expect(maskContact(contactRef('a'.repeat(64)))).toBe('wa:aaaaaaaa…');
	});
});
