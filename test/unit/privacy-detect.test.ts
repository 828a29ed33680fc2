import {
	DEFAULT_KEYWORDS,
	DETECT_LANGUAGES,
	PRIVACY_COMMAND_TYPES,
	createPrivacyDetector,
	detectPrivacyCommand,
	languageNamed,
	languageOf,
	normalizeText,
	type CommandType,
	type Language,
} from '../../nodes/shared/privacy/commandDetection';
import { NEGATIVES, POSITIVES } from '../fixtures/privacy/corpus';

describe('privacy command corpus', () => {
	it.each(POSITIVES.map((p) => [p.lang, p.type, p.text, p] as const))('%s %s: %j is a command', (_lang, _type, text, p) => {
		const d = detectPrivacyCommand(text);
		expect({ isCommand: d.isCommand, type: d.type, language: d.language }).toEqual({
			isCommand: true,
			type: p.type,
			language: p.lang,
		});
		if (p.field !== undefined) expect(d.correction?.field).toBe(p.field);
		if (p.value !== undefined) expect(d.correction?.value).toBe(p.value);
		if (p.requestId !== undefined) expect(d.requestId).toBe(p.requestId);
	});

	it.each(NEGATIVES.map((n) => [n.lang, n.text] as const))('%s: %j is not a command', (_lang, text) => {
		const d = detectPrivacyCommand(text);
		expect(d).toEqual({ isCommand: false, confidence: 'phrase' });
	});

	it('has at least 12 positives and 12 negatives per language, covering every command type', () => {
		for (const lang of DETECT_LANGUAGES) {
			const positives = POSITIVES.filter((p) => p.lang === lang);
			expect([lang, positives.length >= 12]).toEqual([lang, true]);
			expect([lang, NEGATIVES.filter((n) => n.lang === lang).length >= 12]).toEqual([lang, true]);
			expect([lang, [...new Set(positives.map((p) => p.type))].sort()]).toEqual([lang, [...PRIVACY_COMMAND_TYPES].sort()]);
		}
	});

	it('scores perfect precision and recall on the corpus', () => {
		let tp = 0;
		let fp = 0;
		let fn = 0;
		for (const p of POSITIVES) {
			const d = detectPrivacyCommand(p.text);
			if (d.isCommand && d.type === p.type && d.language === p.lang) tp++;
			else {
				fn++;
				if (d.isCommand) fp++;
			}
		}
		for (const n of NEGATIVES) if (detectPrivacyCommand(n.text).isCommand) fp++;
		expect({ precision: tp / (tp + fp), recall: tp / (tp + fn) }).toEqual({ precision: 1, recall: 1 });
	});
});

describe('detectPrivacyCommand', () => {
	it('calls a bare keyword exact and a keyword among fillers or framing a phrase', () => {
		expect(detectPrivacyCommand('STOP 🙏')).toMatchObject({ isCommand: true, type: 'object', confidence: 'exact', matched: 'stop' });
		expect(detectPrivacyCommand('delete my data')).toMatchObject({ confidence: 'exact', type: 'delete' });
		expect(detectPrivacyCommand('please stop')).toMatchObject({ confidence: 'phrase', type: 'object' });
		expect(detectPrivacyCommand('I would like to delete my data')).toMatchObject({ confidence: 'phrase', type: 'delete' });
		expect(detectPrivacyCommand('correct my name to Ana')).toMatchObject({ confidence: 'phrase', type: 'correct' });
	});

	it('does not take a single-word command out of a framed sentence', () => {
		expect(detectPrivacyCommand('I want to stop').isCommand).toBe(false);
		expect(detectPrivacyCommand('quero parar').isCommand).toBe(false);
		expect(detectPrivacyCommand('saya mau mulai').isCommand).toBe(false);
		expect(detectPrivacyCommand('I want to unsubscribe')).toMatchObject({ type: 'object' });
	});

	it('rejects a negated command in every language', () => {
		for (const text of [
			"don't delete my data",
			'no borren mis datos',
			'não apaguem meus dados',
			'jangan hapus data saya',
			'मेरा डेटा मत हटाओ',
			'আমার তথ্য মুছবেন না',
			'لا تحذف بياناتي',
		]) {
			expect([text, detectPrivacyCommand(text).isCommand]).toEqual([text, false]);
		}
	});

	it('reads the field and the value as typed, without fillers or trailing punctuation', () => {
		expect(detectPrivacyCommand('my name is Ana Souza, please update it').correction).toEqual({ field: 'name', value: 'Ana Souza' });
		expect(detectPrivacyCommand('correct my name to Ana Souza. Thanks!').correction).toEqual({ field: 'name', value: 'Ana Souza' });
		expect(detectPrivacyCommand('change my number to +44 7700 900123').correction).toEqual({ field: 'phone', value: '+44 7700 900123' });
		expect(detectPrivacyCommand('Quiero cambiar mi correo a ana@x.com').correction).toEqual({ field: 'email', value: 'ana@x.com' });
		expect(detectPrivacyCommand('update my data')).not.toHaveProperty('correction');
		expect(detectPrivacyCommand('correct my address').correction).toEqual({ field: 'address' });
	});

	it('finds request ids in both formats, any case, with local digits', () => {
		expect(detectPrivacyCommand('PR-2026-ABC123')).toMatchObject({ type: 'status', requestId: 'PR-2026-ABC123' });
		expect(detectPrivacyCommand('PR-2026-ABC123').language).toBeUndefined();
		expect(detectPrivacyCommand('hola PR-2026-ABC123')).toMatchObject({ type: 'status', language: 'es' });
		expect(detectPrivacyCommand('status pr 20260105 k7mwq2').requestId).toBe('PR-20260105-K7MWQ2');
		expect(detectPrivacyCommand('حالة الطلب PR-٢٠٢٦-ABC123').requestId).toBe('PR-2026-ABC123');
		expect(detectPrivacyCommand('status of my request')).not.toHaveProperty('requestId');
		expect(detectPrivacyCommand('where is PR-2026-ABC123').isCommand).toBe(false);
	});

	it('normalises case, width, accents, emoji, Arabic diacritics and tatweel, Devanagari nukta', () => {
		expect(normalizeText('  ＳＴＯＰ!!! 🙏  ')).toBe('stop');
		expect(normalizeText('Olvídenme, POR FAVOR')).toBe('olvidenme por favor');
		expect(normalizeText("Don't")).toBe('dont');
		expect(normalizeText('اِحْذِفْ بَيَانَاتِي')).toBe(normalizeText('احذف بياناتي'));
		expect(normalizeText('توقـــف')).toBe(normalizeText('توقف'));
		expect(normalizeText('أرسل إلى')).toBe('ارسل الي');
		expect(normalizeText('फ़ोन हटाएँ')).toBe(normalizeText('फोन हटाएं'));
		expect(normalizeText('Stooooop')).toBe('stop');
	});

	it('ignores empty, non-text and long messages', () => {
		expect(detectPrivacyCommand('')).toEqual({ isCommand: false, confidence: 'phrase' });
		expect(detectPrivacyCommand('🙏🙏')).toEqual({ isCommand: false, confidence: 'phrase' });
		expect(detectPrivacyCommand(undefined as unknown as string).isCommand).toBe(false);
		expect(detectPrivacyCommand(`${'please thanks '.repeat(19)}stop`).isCommand).toBe(true);
		expect(detectPrivacyCommand(`${'please thanks '.repeat(20)}stop`).isCommand).toBe(false);
	});

	it('extends the default keywords', () => {
		const options = { keywords: { en: { object: ['halt [now]'] } } };
		expect(detectPrivacyCommand('HALT now', options)).toMatchObject({ type: 'object', language: 'en', matched: 'halt [now]' });
		expect(detectPrivacyCommand('stop', options)).toMatchObject({ type: 'object' });
		expect(detectPrivacyCommand('halt').isCommand).toBe(false);
	});

	it('replaces the defaults of the languages and types given', () => {
		const options = { keywords: { en: { object: ['halt'] } }, keywordMode: 'replace' as const, languages: ['en' as Language] };
		expect(detectPrivacyCommand('halt', options)).toMatchObject({ type: 'object', language: 'en' });
		expect(detectPrivacyCommand('stop', options).isCommand).toBe(false);
		expect(detectPrivacyCommand('delete my data', options)).toMatchObject({ type: 'delete' });
	});

	it('only tries the languages asked for', () => {
		expect(detectPrivacyCommand('borrar mis datos', { languages: ['en', 'pt'] }).isCommand).toBe(false);
		expect(detectPrivacyCommand('borrar mis datos', { languages: ['es'] })).toMatchObject({ type: 'delete', language: 'es' });
		expect(detectPrivacyCommand('stop', { languages: ['id'] })).toMatchObject({ type: 'object', language: 'id' });
	});

	it('accepts extra fillers such as a business name', () => {
		expect(detectPrivacyCommand('Acme bot, stop').isCommand).toBe(false);
		expect(detectPrivacyCommand('Acme bot, stop', { fillers: { en: ['acme bot'] } })).toMatchObject({ type: 'object' });
	});

	it('rejects malformed keyword patterns when the detector is created', () => {
		expect(() => createPrivacyDetector({ keywords: { en: { object: ['(halt'] } } })).toThrow(/never closed/);
		expect(() => createPrivacyDetector({ keywords: { en: { object: ['halt]'] } } })).toThrow(/unexpected/);
		expect(() => createPrivacyDetector({ keywords: { en: { correct: ['{value} {value}'] } } })).toThrow(/only once/);
		expect(() => createPrivacyDetector({ keywords: { en: { correct: ['fix {thing}'] } } })).toThrow(/unknown slot/);
		const detect = createPrivacyDetector({ keywords: { en: { resume: ['come back'] } } });
		expect(detect('Come back!')).toMatchObject({ type: 'resume', confidence: 'exact' });
	});

	it('has keywords for every language and command type, frozen', () => {
		for (const lang of DETECT_LANGUAGES) {
			for (const type of PRIVACY_COMMAND_TYPES as CommandType[]) expect(DEFAULT_KEYWORDS[lang][type].length).toBeGreaterThan(0);
		}
		expect(Object.isFrozen(DEFAULT_KEYWORDS.en.object)).toBe(true);
	});
});

describe('languageOf', () => {
	it('decides by script for Bengali, Devanagari and Arabic', () => {
		expect(languageOf('আমার তথ্য মুছে ফেলুন')).toBe('bn');
		expect(languageOf('मेरा डेटा हटाओ')).toBe('hi');
		expect(languageOf('احذف بياناتي')).toBe('ar');
		expect(languageOf('STOP ধন্যবাদ')).toBe('bn');
	});

	it('scores Latin-script words', () => {
		expect(languageOf('delete my data please')).toBe('en');
		expect(languageOf('borrar mis datos')).toBe('es');
		expect(languageOf('apague meus dados')).toBe('pt');
		expect(languageOf('hapus data saya')).toBe('id');
		expect(languageOf('mera data delete karo')).toBe('hi');
		expect(languageOf('Hola, ¿tienen envío gratis?')).toBe('es');
		expect(languageOf('Olá, vocês entregam hoje?')).toBe('pt');
	});

	it('is undefined without evidence', () => {
		expect(languageOf('👍')).toBeUndefined();
		expect(languageOf('12345')).toBeUndefined();
		expect(languageOf('PR-2026-ABC123')).toBeUndefined();
		expect(languageOf(42 as unknown as string)).toBeUndefined();
	});
});

describe('languageNamed', () => {
	it('maps language names in any supported language to a code', () => {
		expect(languageNamed('Spanish')).toBe('es');
		expect(languageNamed('español')).toBe('es');
		expect(languageNamed('Português')).toBe('pt');
		expect(languageNamed('বাংলা')).toBe('bn');
		expect(languageNamed('हिंदी')).toBe('hi');
		expect(languageNamed('العربية')).toBe('ar');
		expect(languageNamed('Bahasa Indonesia')).toBe('id');
		expect(languageNamed('en')).toBe('en');
		expect(languageNamed('Klingon')).toBeUndefined();
	});
});
