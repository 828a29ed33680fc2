import { detectConversationCommand } from '../../nodes/shared/conversation/commands';
import { CONVERSATION_TEXTS, conversationText, type ConversationTexts } from '../../nodes/shared/conversation/messages';
import { detectPrivacyCommand } from '../../nodes/shared/privacy/commandDetection';
import { LANGUAGES, type Language } from '../../nodes/shared/privacy/messages';

const KEYS: Array<keyof ConversationTexts> = ['reset', 'handoff', 'disclosure', 'away', 'capacity', 'back'];
const QUOTED = /"([^"]+)"|«([^»]+)»|“([^”]+)”/g;
const FSI = '\u2068';
const PDI = '\u2069';

function quotedWords(text: string): string[] {
	return [...text.matchAll(QUOTED)].map((m) => m[1] ?? m[2] ?? m[3]);
}

describe('CONVERSATION_TEXTS', () => {
	it('has every text, short and non-empty, in every language', () => {
		expect(Object.keys(CONVERSATION_TEXTS).sort()).toEqual([...LANGUAGES].sort());
		for (const lang of LANGUAGES) {
			expect(Object.keys(CONVERSATION_TEXTS[lang]).sort()).toEqual([...KEYS].sort());
			for (const key of KEYS) {
				const text = CONVERSATION_TEXTS[lang][key];
				expect([lang, key, text.trim().length > 20, text.length <= 300]).toEqual([lang, key, true, true]);
			}
		}
	});

	it('names the business only in the disclosure', () => {
		for (const lang of LANGUAGES) {
			for (const key of KEYS) {
				expect([lang, key, CONVERSATION_TEXTS[lang][key].includes('{business}')]).toEqual([lang, key, key === 'disclosure']);
			}
		}
	});

	it('quotes, in every disclosure, words that really reach a person, stop the assistant and get the data', () => {
		for (const lang of LANGUAGES) {
			const [handoff, stop, access, ...rest] = quotedWords(CONVERSATION_TEXTS[lang].disclosure);
			expect([lang, rest]).toEqual([lang, []]);
			expect([lang, handoff, detectConversationCommand(handoff)?.command]).toEqual([lang, handoff, 'handoff']);
			expect([lang, stop, detectPrivacyCommand(stop).type]).toEqual([lang, stop, 'object']);
			expect([lang, access, detectPrivacyCommand(access).type]).toEqual([lang, access, 'access']);
		}
	});

	it('quotes handoff words of the disclosure language', () => {
		for (const lang of ['en', 'hi', 'bn', 'ar', 'id'] as Language[]) {
			const [handoff] = quotedWords(CONVERSATION_TEXTS[lang].disclosure);
			expect([lang, detectConversationCommand(handoff)?.language]).toEqual([lang, lang]);
		}
		// "humano" is Spanish and Portuguese alike; the Portuguese disclosure quotes "atendente".
		expect(detectConversationCommand('atendente')?.language).toBe('pt');
		expect(detectConversationCommand('humano')?.command).toBe('handoff');
	});
});

describe('conversationText', () => {
	it('fills in the business name', () => {
		expect(conversationText('disclosure', 'en', { business: 'Acme Shop' })).toBe(
			'You are chatting with an AI assistant for Acme Shop. Write "human" to reach a person, "STOP" to stop the assistant, or "send me my data" to get your data.',
		);
		expect(conversationText('disclosure', 'es', { business: '  Café Luna ' })).toContain('asistente de IA de Café Luna.');
	});

	it('says a neutral word when there is no business name', () => {
		expect(conversationText('disclosure', 'en')).toContain('an AI assistant for this business.');
		expect(conversationText('disclosure', 'en', { business: '  ' })).toContain('for this business.');
		expect(conversationText('disclosure', 'id', { business: '' })).toContain('asisten AI kami.');
		for (const lang of LANGUAGES) expect(conversationText('disclosure', lang)).not.toContain('{');
	});

	it('isolates the business name in right-to-left text', () => {
		expect(conversationText('disclosure', 'ar', { business: 'Acme' })).toContain(`${FSI}Acme${PDI}`);
		expect(conversationText('disclosure', 'en', { business: 'Acme' })).not.toContain(FSI);
	});

	it('never expands placeholders or replacement patterns inside the business name', () => {
		expect(conversationText('disclosure', 'en', { business: "{business} $& $'" })).toContain("for {business} $& $'.");
	});

	it('answers in English for an undefined or unknown language', () => {
		expect(conversationText('reset', undefined)).toBe(CONVERSATION_TEXTS.en.reset);
		expect(conversationText('away', 'xx' as Language)).toBe(CONVERSATION_TEXTS.en.away);
		expect(conversationText('handoff', 'pt')).toBe(CONVERSATION_TEXTS.pt.handoff);
	});

	it('keeps texts without {business} unchanged', () => {
		for (const lang of LANGUAGES) {
			for (const key of ['reset', 'handoff', 'away'] as const) {
				expect(conversationText(key, lang, { business: 'Acme' })).toBe(CONVERSATION_TEXTS[lang][key]);
			}
		}
	});
});
