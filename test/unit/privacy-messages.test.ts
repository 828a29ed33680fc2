import { detectPrivacyCommand } from '../../nodes/shared/privacy/commandDetection';
import { accessDisclosure, DEFAULT_RETENTION, type OperatorInfo } from '../../nodes/shared/privacy/disclosure';
import {
	ACCESS_SUMMARY,
	accessSummary,
	DEFAULT_AUTHORITY,
	ERASE_BUTTONS,
	LANGUAGES,
	MESSAGE_PARAMS,
	MESSAGES,
	RTL_LANGUAGES,
	privacyMessage,
	resolveLanguage,
	type AccessSummaryFacts,
	type Language,
	type MessageKey,
} from '../../nodes/shared/privacy/messages';

const KEYS = Object.keys(MESSAGE_PARAMS) as MessageKey[];
const ALL_KEYS: MessageKey[] = [
	'access_done', 'access_summary', 'correct_done', 'correct_nothing', 'delete_done', 'delete_partial',
	'object_done', 'resume_done', 'status', 'denied', 'failed', 'verification_code', 'verify_failed',
	'verify_expired', 'received', 'erase_confirm', 'erase_cancelled', 'erase_expired', 'object_marketing_done',
	'resume_marketing_done',
];
const PARAMS: Record<string, string | number> = {
	requestId: 'PR-7F3K9Q',
	dueDate: '2025-07-14',
	state: 'in progress',
	code: '482915',
	minutes: 10,
	kept: 'invoices (tax law, 10 years)',
	fields: 'name',
	business: 'Acme Shop',
	authority: 'CNIL',
	reason: 'we could not verify your identity',
	summary: 'profile name: Ana',
};
const FSI = '\u2068';
const PDI = '\u2069';
const strip = (s: string) => s.split(FSI).join('').split(PDI).join('');
const placeholders = (s: string) => [...s.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((m) => m[1]).sort();
const SCRIPTS: Partial<Record<Language, RegExp>> = {
	bn: /[\u0980-\u09FF]/,
	hi: /[\u0900-\u097F]/,
	ar: /[\u0600-\u06FF]/,
};

describe('privacy messages', () => {
	it('covers every key', () => {
		expect(KEYS.sort()).toEqual([...ALL_KEYS].sort());
		expect(LANGUAGES).toEqual(expect.arrayContaining(['en', 'bn', 'es', 'pt', 'hi', 'ar', 'id']));
		expect(RTL_LANGUAGES.has('ar')).toBe(true);
		expect(RTL_LANGUAGES.has('en')).toBe(false);
	});

	describe.each(LANGUAGES)('%s', (lang) => {
		it.each(ALL_KEYS)('%s exists, uses exactly its params and fills them all', (key) => {
			const template = MESSAGES[lang][key];
			expect(typeof template).toBe('string');
			expect(template.trim().length).toBeGreaterThan(10);
			expect(placeholders(template)).toEqual([...MESSAGE_PARAMS[key]].sort());
			const out = privacyMessage(key, lang, PARAMS);
			expect(out).not.toMatch(/[{}]/);
			for (const name of MESSAGE_PARAMS[key]) expect(strip(out)).toContain(String(PARAMS[name]));
			if (SCRIPTS[lang]) expect(out).toMatch(SCRIPTS[lang]!);
			if (lang !== 'en') expect(template).not.toBe(MESSAGES.en[key]);
		});

		it('names the request in every message that concludes one', () => {
			for (const key of ALL_KEYS.filter((k) => !k.startsWith('verif'))) {
				expect(MESSAGE_PARAMS[key]).toContain('requestId');
			}
		});

		it('keeps the STOP / START commands and the complaint right', () => {
			expect(MESSAGES[lang].object_done).toContain('START');
			expect(MESSAGES[lang].resume_done).toContain('STOP');
			expect(MESSAGES[lang].delete_done).toContain('STOP');
			expect(MESSAGES[lang].delete_partial).toContain('{authority}');
			expect(MESSAGES[lang].denied).toContain('{authority}');
			// a marketing-only objection says AI replies go on, and how to stop them too
			expect(MESSAGES[lang].object_marketing_done).toContain('STOP');
			expect(MESSAGES[lang].resume_marketing_done).toContain('STOP');
		});

		it('asks to confirm an erasure with two reply buttons WhatsApp accepts, named in the question', () => {
			const { confirm, cancel } = ERASE_BUTTONS[lang];
			for (const title of [confirm, cancel]) {
				// Meta: a reply button title has 1 to 20 characters (code points)
				expect([...title].length).toBeGreaterThanOrEqual(1);
				expect([...title].length).toBeLessThanOrEqual(20);
				if (SCRIPTS[lang]) expect(title).toMatch(SCRIPTS[lang]!);
			}
			expect(confirm).not.toBe(cancel);
			if (lang !== 'en') expect([confirm, cancel]).not.toEqual([ERASE_BUTTONS.en.confirm, ERASE_BUTTONS.en.cancel]);
			expect(MESSAGES[lang].erase_confirm).toContain(confirm);
			// the body of an interactive message holds at most 1,024 characters
			expect([...privacyMessage('erase_confirm', lang, PARAMS)].length).toBeLessThanOrEqual(1024);
		});

		it('tells how to ask for erasure again with a command the detector takes, in the same language', () => {
			const quoted = /["«“]([^"»”]+)["»”]/.exec(MESSAGES[lang].erase_expired)?.[1];
			expect(quoted).toBeDefined();
			expect(detectPrivacyCommand(quoted!)).toMatchObject({ isCommand: true, type: 'delete', language: lang });
		});
	});

	it('English content requirements', () => {
		const del = privacyMessage('delete_done', 'en', PARAMS);
		expect(del).toMatch(/minimal record of this request/);
		expect(del).toMatch(/suppression entry/);
		expect(privacyMessage('object_done', 'en', PARAMS)).toMatch(/AI.*marketing.*send START/s);
		expect(privacyMessage('delete_partial', 'en', PARAMS)).toContain('invoices (tax law, 10 years)');
		expect(privacyMessage('denied', 'en', PARAMS)).toContain('we could not verify your identity');
		expect(privacyMessage('verification_code', 'en', PARAMS)).toBe(
			"Your Acme Shop verification code is 482915. It expires in 10 minutes. Don't share it with anyone. If you didn't ask for it, ignore this message.",
		);
	});

	it('falls back to English for unknown or missing languages', () => {
		const en = privacyMessage('received', 'en', PARAMS);
		expect(privacyMessage('received', undefined, PARAMS)).toBe(en);
		expect(privacyMessage('received', 'fr' as Language, PARAMS)).toBe(en);
		expect(privacyMessage('received', '__proto__' as Language, PARAMS)).toBe(en);
		expect(privacyMessage('received', 'constructor' as Language, PARAMS)).toBe(en);
		expect(privacyMessage('received', 'ES' as Language, PARAMS)).toBe(privacyMessage('received', 'es', PARAMS));
		expect(resolveLanguage('pt-BR')).toBe('pt');
		expect(resolveLanguage('ar_EG')).toBe('ar');
		expect(resolveLanguage(42)).toBe('en');
	});

	it('leaves missing params visible and never throws', () => {
		expect(privacyMessage('received', 'en', {})).toBe(
			"We've received your request {requestId}. We'll reply here by {dueDate} at the latest.",
		);
		expect(privacyMessage('status', 'es', { requestId: 'R1', state: '' })).toContain('{state}');
		expect(() => privacyMessage('status', 'en', undefined as unknown as Record<string, string>)).not.toThrow();
		expect(privacyMessage('status', 'en', { requestId: 'R1', toString: 'x' })).toContain('{dueDate}');
	});

	it('does not expand placeholders inside values', () => {
		expect(privacyMessage('correct_done', 'en', { requestId: '{fields}', fields: '{requestId}' })).toBe(
			'Your correction request {fields} is complete. We updated: {requestId}.',
		);
	});

	it('states the complaint right even without a named authority', () => {
		for (const lang of LANGUAGES) {
			const out = strip(privacyMessage('denied', lang, { requestId: 'R1', reason: 'x' }));
			expect(out).toContain(DEFAULT_AUTHORITY[lang]);
			expect(out).not.toContain('{authority}');
		}
	});

	it('isolates substituted values in right-to-left text only', () => {
		expect(privacyMessage('received', 'ar', PARAMS)).toContain(`${FSI}PR-7F3K9Q${PDI}`);
		expect(privacyMessage('received', 'en', PARAMS)).not.toContain(FSI);
	});
});

describe('accessSummary', () => {
	const FACTS: AccessSummaryFacts = { profile: true, messages: 17, replies: 23, requests: 4, aiReplies: 'active', marketing: 'objected' };
	const NONE: AccessSummaryFacts = { profile: false, messages: 0, replies: 0, requests: 1, aiReplies: 'objected', marketing: 'active' };
	/** Every English word of the summary, as whole words, case-insensitive. */
	const ENGLISH = /\b(profile|yes|none|messages?|still|held|encrypted|expiring|reply|replies|records?|privacy|requests?|marketing|active|objected)\b/i;
	const LATIN_SCRIPT: Language[] = ['es', 'pt', 'id'];

	it('keeps the English summary exactly as before', () => {
		expect(accessSummary('en', FACTS)).toBe(
			['Profile: yes', 'Messages still held (encrypted, expiring): 17', 'Reply records: 23', 'Privacy requests: 4', 'AI replies: active, marketing: objected'].join('\n'),
		);
		expect(accessSummary('en', NONE)).toBe(
			['Profile: none', 'Messages still held (encrypted, expiring): 0', 'Reply records: 0', 'Privacy requests: 1', 'AI replies: objected, marketing: active'].join('\n'),
		);
	});

	describe.each(LANGUAGES)('%s', (lang) => {
		const text = ACCESS_SUMMARY[lang];

		it('has every line, template and state word, with exactly its placeholder', () => {
			expect(placeholders(text.profile)).toEqual(['profile']);
			expect(placeholders(text.messages)).toEqual(['messages']);
			expect(placeholders(text.replies)).toEqual(['replies']);
			expect(placeholders(text.requests)).toEqual(['requests']);
			expect(placeholders(text.processing)).toEqual(['aiReplies', 'marketing']);
			const words = [text.profileHeld, text.profileNone, text.aiReplies.active, text.aiReplies.objected, text.marketing.active, text.marketing.objected];
			for (const word of words) {
				expect(word.trim()).not.toBe('');
				expect(word).not.toMatch(/[{}\n]/);
			}
			expect(text.profileHeld).not.toBe(text.profileNone);
			expect(text.aiReplies.active).not.toBe(text.aiReplies.objected);
			expect(text.marketing.active).not.toBe(text.marketing.objected);
		});

		it.each([
			['some data, AI active, marketing objected', FACTS],
			['no profile, AI objected, marketing active', NONE],
		])('states every field (%s)', (_, facts) => {
			const out = accessSummary(lang, facts);
			const lines = strip(out).split('\n');
			expect(lines).toHaveLength(5);
			expect(out).not.toMatch(/[{}]/);
			expect(lines[0]).toBe(text.profile.replace('{profile}', facts.profile ? text.profileHeld : text.profileNone));
			expect(lines[1]).toBe(text.messages.replace('{messages}', String(facts.messages)));
			expect(lines[2]).toBe(text.replies.replace('{replies}', String(facts.replies)));
			expect(lines[3]).toBe(text.requests.replace('{requests}', String(facts.requests)));
			expect(lines[4]).toBe(
				text.processing.replace('{aiReplies}', text.aiReplies[facts.aiReplies]).replace('{marketing}', text.marketing[facts.marketing]),
			);
		});

		if (lang !== 'en') {
			it('leaks no English', () => {
				for (const facts of [FACTS, NONE]) {
					const out = strip(accessSummary(lang, facts));
					expect(out).not.toMatch(ENGLISH);
					for (const line of strip(accessSummary('en', facts)).split('\n')) expect(out).not.toContain(line.split(':')[0]);
					if (SCRIPTS[lang]) {
						// in its own script: nothing Latin at all, digits aside
						expect(out).toMatch(SCRIPTS[lang]!);
						expect(out).not.toMatch(/[A-Za-z]/);
					} else {
						expect(LATIN_SCRIPT).toContain(lang);
					}
				}
				const words = Object.values(text).flatMap((v: string | Record<string, string>) => (typeof v === 'string' ? [v] : Object.values(v)));
				for (const word of words) expect(word.replace(/\{[A-Za-z]+\}/g, '')).not.toMatch(ENGLISH);
				expect(text).not.toEqual(ACCESS_SUMMARY.en);
			});
		}
	});

	it('isolates the values in right-to-left text only', () => {
		const ar = accessSummary('ar', FACTS);
		expect(ar).toContain(`${FSI}17${PDI}`);
		expect(ar).toContain(`${FSI}${ACCESS_SUMMARY.ar.profileHeld}${PDI}`);
		expect(ar).toContain(`${FSI}${ACCESS_SUMMARY.ar.marketing.objected}${PDI}`);
		for (const lang of LANGUAGES.filter((l) => !RTL_LANGUAGES.has(l))) expect(accessSummary(lang, FACTS)).not.toMatch(/[\u2066-\u2069]/);
	});

	it('falls back to English for unknown or missing languages', () => {
		const en = accessSummary('en', FACTS);
		expect(accessSummary(undefined, FACTS)).toBe(en);
		expect(accessSummary('fr' as Language, FACTS)).toBe(en);
		expect(accessSummary('__proto__' as Language, FACTS)).toBe(en);
		expect(accessSummary('BN' as Language, FACTS)).toBe(accessSummary('bn', FACTS));
	});

	it('leaves a missing or unknown value visible and never throws', () => {
		const broken = { ...FACTS, messages: Number.NaN, aiReplies: 'paused' } as unknown as AccessSummaryFacts;
		const out = accessSummary('es', broken);
		expect(out).toContain('{messages}');
		expect(out).toContain('{aiReplies}');
		expect(out).toContain(ACCESS_SUMMARY.es.marketing.objected);
		expect(() => accessSummary('en', undefined as unknown as AccessSummaryFacts)).not.toThrow();
		expect(accessSummary('en', { ...FACTS, aiReplies: 'toString' } as unknown as AccessSummaryFacts)).toContain('{aiReplies}');
	});
});

describe('accessDisclosure', () => {
	const operator: OperatorInfo = { controllerName: 'Acme Shop Ltd', contact: 'privacy@acme.example' };

	it('contains every Art. 15 element', () => {
		const d = accessDisclosure(operator, 'en');
		for (const key of ['purposes', 'categories', 'recipients', 'retention', 'rights', 'complaint', 'source', 'automatedDecisionMaking']) {
			expect(d).toHaveProperty(key);
			expect(d[key]).toBeTruthy();
		}
		expect(d).toHaveProperty('legalBases');
		expect(d).toHaveProperty('internationalTransfers');
		expect(d.controller).toEqual({ name: 'Acme Shop Ltd', contact: 'privacy@acme.example' });
	});

	it('names Meta and OpenAI as recipients, with OpenAI’s API retention', () => {
		const d = accessDisclosure(operator);
		const recipients = JSON.stringify(d.recipients);
		expect(recipients).toContain('Meta Platforms');
		expect(recipients).toContain('OpenAI');
		expect(recipients).toMatch(/not used to train/);
		expect(recipients).toMatch(/30 days/);
	});

	it('covers purposes, categories and rights', () => {
		const d = accessDisclosure(operator);
		const all = JSON.stringify(d);
		expect((d.purposes as unknown[]).length).toBe(3);
		expect(all).toMatch(/keyed hash/);
		expect(all).toMatch(/profile name/i);
		expect(all).toMatch(/time-to-live/);
		const rights = (d.rights as Array<{ right: string; how: string }>).map((r) => r.right);
		expect(rights).toEqual(
			expect.arrayContaining(['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability', 'withdraw_consent']),
		);
		for (const r of d.rights as Array<{ how: string }>) expect(r.how).toMatch(/^Send [A-Z]+/);
		expect(JSON.stringify(d.automatedDecisionMaking)).toMatch(/never triggered by the AI/);
		expect(d.source).toMatch(/Meta/);
	});

	it('uses default retention periods, or the operator’s', () => {
		const d = accessDisclosure(operator) as { retention: Record<string, Record<string, unknown>> };
		expect(d.retention.messageContent.minutes).toBe(DEFAULT_RETENTION.contentMinutes);
		expect(d.retention.replyOutcomes.days).toBe(8);
		expect(d.retention.privacyRequestRecords.months).toBe(24);
		expect(d.retention.auditLog.months).toBe(24);
		expect(d.retention.suppressionList.period).toMatch(/START/);

		const custom = accessDisclosure({
			...operator,
			retention: { contentMinutes: 1, outcomesDays: 30, requestRecordsMonths: -5 },
		}) as { retention: Record<string, Record<string, unknown>> };
		expect(custom.retention.messageContent).toMatchObject({ minutes: 1, period: '1 minute' });
		expect(custom.retention.replyOutcomes).toMatchObject({ days: 30, period: '30 days' });
		expect(custom.retention.privacyRequestRecords.months).toBe(24);
	});

	it('names the supervisory authority, or the local one', () => {
		expect(accessDisclosure(operator).complaint).toMatchObject({ authority: 'your local data protection authority' });
		expect(accessDisclosure({ ...operator, supervisoryAuthority: 'CNIL' }).complaint).toMatchObject({ authority: 'CNIL' });
	});

	it('has a localised summary for every language, English for unknown', () => {
		for (const lang of LANGUAGES) {
			const d = accessDisclosure(operator, lang);
			expect(d.language).toBe(lang);
			expect(d.summary).toEqual(expect.stringContaining('Acme Shop Ltd'));
			if (lang !== 'en') expect(d.summary).not.toBe(accessDisclosure(operator, 'en').summary);
		}
		expect(accessDisclosure(operator, 'xx' as Language).language).toBe('en');
		expect(accessDisclosure(operator).language).toBe('en');
	});
});
