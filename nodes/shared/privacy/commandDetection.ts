/**
 * Decides whether an incoming WhatsApp text IS a data-protection command (access, correct, delete,
 * object, resume, status) rather than a message that merely mentions one ("the bus stop", "I deleted
 * the app"). Deterministic and explainable, no model involved:
 *
 * 1. Normalise: NFKC, lower case, Latin accents folded, Arabic diacritics/tatweel/alef/ya/ta-marbuta
 *    unified, Devanagari nukta and chandrabindu unified, local digits made ASCII, letters repeated three
 *    times or more collapsed ("stoooop"), punctuation and emoji dropped, repeated words ("STOP STOP") kept once.
 * 2. Match the WHOLE message against the keyword patterns of each language (keywords.ts), in three
 *    passes, and stop at the first match:
 *      exact   – the message as it is;
 *      phrase  – politeness words removed anywhere (please, por favor, tolong, कृपया, من فضلك…), greetings and
 *                thanks removed at both ends;
 *      phrase  – also "I want to / can you / quiero / أريد…" framing removed at the start, accepted only
 *                when two or more words remain (so "I want to stop" is not a STOP).
 *    Anything else left in the message – a negation, another object, a question about something else –
 *    makes it not a command.
 */

import {
	DEFAULT_FIELDS,
	DEFAULT_FILLERS,
	DEFAULT_FRAMES,
	DEFAULT_KEYWORDS,
	DEFAULT_POLITENESS,
	DETECT_LANGUAGES,
	LANGUAGE_HINTS,
	LANGUAGE_NAMES,
	type CommandType,
	type Language,
} from './keywords';

/** The keyword tables (and their types) are part of this module's interface. */
export * from './keywords';

export interface Detection {
	isCommand: boolean;
	type?: CommandType;
	/** The language whose keywords matched; undefined for a bare request id. */
	language?: Language;
	/**
	 * `exact`: the whole message (ignoring case, accents, punctuation, emoji, spacing) is a keyword.
	 * `phrase`: it matched after removing politeness/greetings/framing, or through a `{value}`/`{field}`/`{id}`
	 * slot. Always `phrase` when `isCommand` is false.
	 */
	confidence: 'exact' | 'phrase';
	/** For `status` (and only when the message carries one): the request id, upper case. */
	requestId?: string;
	/** For `correct`, when the message names the field and/or the new value. `value` is as typed. */
	correction?: { field?: 'name' | 'language' | 'email' | string; value?: string };
	/** The keyword pattern that matched, as written in the keyword table: why this is a command. */
	matched?: string;
}

export type KeywordTable = Partial<Record<Language, Partial<Record<CommandType, string[]>>>>;

export interface DetectOptions {
	/** Keywords to add to (or, with `keywordMode: 'replace'`, to use instead of) the defaults. */
	keywords?: KeywordTable;
	/**
	 * `extend` (default): the given keywords are tried after the defaults of the same language and type.
	 * `replace`: for every language and type given, only the given keywords are used; others keep defaults.
	 */
	keywordMode?: 'extend' | 'replace';
	/** Only these languages are tried (default: all). */
	languages?: Language[];
	/** More words to ignore at the start and end of a message (a business name, "bot"…); they apply to every language. */
	fillers?: Partial<Record<Language, string[]>>;
}

/** Privacy request ids: PR-2026-ABC123, PR-20260105-K7MWQ2 (any case, hyphens or spaces). */
export const REQUEST_ID_PATTERN = /(?<![\p{L}\p{M}\p{N}])PR[\s\-‐‑–—_]{0,3}(\d{4,8})[\s\-‐‑–—_]{0,3}([A-Z0-9]{4,16})(?![\p{L}\p{M}\p{N}])/iu;

/** Longer messages are conversation, not commands. */
const MAX_TOKENS = 40;
const MAX_VALUE_WORDS = 8;
const TYPE_ORDER: readonly CommandType[] = ['status', 'correct', 'delete', 'access', 'object', 'resume'];
const ID_TOKEN = '#id';

// ------------------------------------------------------------------------------------- normalisation

interface Token {
	norm: string;
	/** Span in the prepared text, for returning values as they were typed. */
	start: number;
	end: number;
	/** Canonical request id when this token is one. */
	id?: string;
}

const INVISIBLE = /[\u00ad\u200c\u200d\u2060\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const DIGIT_ZEROS = [0x660, 0x6f0, 0x966, 0x9e6, 0xff10];
const LOCAL_DIGIT = new RegExp(
	`[${DIGIT_ZEROS.map((z) => `\\u${z.toString(16).padStart(4, '0')}-\\u${(z + 9).toString(16).padStart(4, '0')}`).join('')}]`,
	'g',
);
const TOKEN = new RegExp(
	`${REQUEST_ID_PATTERN.source}|[\\p{L}\\p{M}\\p{N}]+(?:['’ʼ\`´][\\p{L}\\p{M}\\p{N}]+)*`,
	'giu',
);
const APOSTROPHES = /['’ʼ`´]/g;
const LATIN_ACCENT = /([a-z])[\u0300-\u036f]+/g;
const ARABIC_MARKS = /[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]/g;
const LATIN_RUN = /([a-z])\1{2,}/g;
const ARABIC_RUN = /([\u0621-\u064a])\1{2,}/g;

/** NFKC, invisible format characters removed, local digits as ASCII. Offsets into this text are kept. */
function prepare(text: string): string {
	return text
		.normalize('NFKC')
		.replace(INVISIBLE, '')
		.replace(/\u200b/g, ' ')
		.replace(LOCAL_DIGIT, (d) => {
			const code = d.charCodeAt(0);
			const zero = DIGIT_ZEROS.find((z) => code >= z && code <= z + 9)!;
			return String(code - zero);
		});
}

/** The comparable form of one word. Applied identically to messages and keywords. */
export function normalizeWord(word: string): string {
	return word
		.toLowerCase()
		.replace(APOSTROPHES, '')
		.normalize('NFD')
		.replace(LATIN_ACCENT, '$1')
		.replace(ARABIC_MARKS, '')
		.replace(/[\u0622\u0623\u0625\u0671-\u0673]/g, '\u0627')
		.replace(/[\u0649\u06cc]/g, '\u064a')
		.replace(/\u0629/g, '\u0647')
		.replace(/\u06a9/g, '\u0643')
		.replace(/\u093c/g, '')
		.replace(/\u0901/g, '\u0902')
		.replace(LATIN_RUN, '$1')
		.replace(ARABIC_RUN, '$1')
		.normalize('NFC');
}

function tokenize(prepared: string): Token[] {
	const tokens: Token[] = [];
	for (const m of prepared.matchAll(TOKEN)) {
		const start = m.index ?? 0;
		const end = start + m[0].length;
		if (m[1] !== undefined && m[2] !== undefined) {
			tokens.push({ norm: ID_TOKEN, start, end, id: `PR-${m[1]}-${m[2].toUpperCase()}` });
			continue;
		}
		const norm = normalizeWord(m[0]);
		if (norm) tokens.push({ norm, start, end });
	}
	return tokens;
}

/** Normalised words of a keyword fragment (so "e-mail" is two words, as in messages). */
function words(text: string): string[] {
	return tokenize(prepare(text)).map((t) => t.norm);
}

/** The text as the detector compares it: normalised words separated by single spaces. */
export function normalizeText(text: string): string {
	return tokenize(prepare(typeof text === 'string' ? text : '')).map((t) => t.norm).join(' ');
}

// --------------------------------------------------------------------------------------- compilation

interface Pattern {
	source: string;
	type: CommandType;
	re: RegExp;
	hasSlot: boolean;
	/** Has a {value} slot, which must never swallow fillers: tried only once they are removed. */
	hasValue: boolean;
	hasWords: boolean;
}

interface LanguageMatcher {
	patterns: Pattern[];
	fields: Map<string, string>;
	politeness: string[][];
	fillers: string[][];
	frames: string[][];
}

type Compiled = Record<Language, LanguageMatcher>;

function escapeRegex(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A keyword pattern as a regex over ` word word … ` (each word followed by one space, the string
 * starting with a space), anchored at both ends.
 */
function compilePattern(source: string, type: CommandType, fieldAlternatives: string): Pattern {
	let pos = 0;
	const slots = { value: 0, field: 0, id: 0 };
	let hasWords = false;
	const fail = (why: string): never => {
		throw new Error(`Privacy keyword "${source}": ${why}`);
	};

	const sequence = (closers: string): string => {
		let out = '';
		while (pos < source.length) {
			const c = source[pos];
			if (closers.includes(c)) return out;
			if (/\s/.test(c)) {
				pos++;
			} else if (c === '[') {
				pos++;
				const inner = alternatives(']');
				out += `(?:${inner})?`;
			} else if (c === '(') {
				pos++;
				out += `(?:${alternatives(')')})`;
			} else if (c === '{') {
				const close = source.indexOf('}', pos);
				if (close < 0) fail('"{" is never closed');
				const name = source.slice(pos + 1, close).trim();
				pos = close + 1;
				if (name === 'value') out += `(?<value>(?:[^ ]+ ){1,${MAX_VALUE_WORDS}}?)`;
				else if (name === 'field') out += `(?<field>${fieldAlternatives})`;
				else if (name === 'id') out += `(?<id>${escapeRegex(ID_TOKEN)} )`;
				else fail(`unknown slot {${name}} (use {value}, {field} or {id})`);
				if (slots[name as keyof typeof slots]++ > 0) fail(`{${name}} may appear only once`);
			} else if (c === ']' || c === ')' || c === '|' || c === '}') {
				fail(`unexpected "${c}"`);
			} else {
				let end = pos;
				while (end < source.length && !/[\s[\](){}|]/.test(source[end])) end++;
				for (const w of words(source.slice(pos, end))) {
					out += `${escapeRegex(w)} `;
					hasWords = true;
				}
				pos = end;
			}
		}
		return out;
	};

	const alternatives = (closer: string): string => {
		const options: string[] = [];
		for (;;) {
			options.push(sequence(`|${closer}`));
			if (pos >= source.length) fail(`"${closer === ']' ? '[' : '('}" is never closed`);
			if (source[pos++] === closer) return options.join('|');
		}
	};

	const body = sequence('');
	if (!hasWords && slots.id === 0) fail('a keyword needs at least one word');
	return {
		source,
		type,
		re: new RegExp(`^ ${body}$`, 'd'),
		hasSlot: slots.value + slots.field + slots.id > 0,
		hasValue: slots.value > 0,
		hasWords,
	};
}

function phraseList(list: readonly string[]): string[][] {
	const seen = new Set<string>();
	const out: string[][] = [];
	for (const entry of list) {
		const w = words(entry);
		const key = w.join(' ');
		if (w.length && !seen.has(key)) {
			seen.add(key);
			out.push(w);
		}
	}
	return out.sort((a, b) => b.length - a.length);
}

function compileLanguage(
	lang: Language,
	keywords: Record<CommandType, readonly string[]>,
	politeness: string[][],
	fillers: string[][],
): LanguageMatcher {
	const fields = new Map<string, string>();
	for (const [word, field] of Object.entries(DEFAULT_FIELDS[lang])) fields.set(words(word).join(' '), field);
	const fieldAlternatives = [...fields.keys()]
		.sort((a, b) => b.length - a.length)
		.map((f) => `${escapeRegex(f)} `)
		.join('|');
	const patterns: Pattern[] = [];
	for (const type of TYPE_ORDER) {
		for (const source of keywords[type] ?? []) patterns.push(compilePattern(source, type, fieldAlternatives));
	}
	return { patterns, fields, politeness, fillers, frames: phraseList(DEFAULT_FRAMES[lang]) };
}

function compile(options: DetectOptions): Compiled {
	const compiled = {} as Compiled;
	// Politeness and fillers of every language apply to every language: people mix them.
	const politeness = phraseList(DETECT_LANGUAGES.flatMap((lang) => DEFAULT_POLITENESS[lang]));
	const fillers = phraseList(DETECT_LANGUAGES.flatMap((lang) => [...DEFAULT_FILLERS[lang], ...(options.fillers?.[lang] ?? [])]));
	for (const lang of DETECT_LANGUAGES) {
		const given = options.keywords?.[lang] ?? {};
		const table = {} as Record<CommandType, readonly string[]>;
		for (const type of TYPE_ORDER) {
			const extra = given[type];
			const defaults = DEFAULT_KEYWORDS[lang][type];
			table[type] = extra === undefined ? defaults : options.keywordMode === 'replace' ? extra : [...defaults, ...extra];
		}
		compiled[lang] = compileLanguage(lang, table, politeness, fillers);
	}
	return compiled;
}

let defaultCompiled: Compiled | undefined;
const customCompiled = new Map<string, Compiled>();
const CUSTOM_CACHE_SIZE = 16;

function compiledFor(options: DetectOptions): Compiled {
	if (!options.keywords && !options.fillers) return (defaultCompiled ??= compile({}));
	const key = JSON.stringify([options.keywords ?? null, options.keywordMode ?? 'extend', options.fillers ?? null]);
	let compiled = customCompiled.get(key);
	if (!compiled) {
		compiled = compile(options);
		if (customCompiled.size >= CUSTOM_CACHE_SIZE) customCompiled.delete(customCompiled.keys().next().value!);
		customCompiled.set(key, compiled);
	}
	return compiled;
}

// ------------------------------------------------------------------------------------------ matching

function startsWith(tokens: Token[], at: number, phrase: string[]): boolean {
	if (at + phrase.length > tokens.length) return false;
	return phrase.every((w, i) => tokens[at + i].norm === w);
}

function endsWith(tokens: Token[], end: number, phrase: string[]): boolean {
	const at = end - phrase.length;
	return at >= 0 && startsWith(tokens, at, phrase);
}

/** Politeness removed anywhere, then greetings/thanks removed at both ends (repeatedly). */
function stripFillers(tokens: Token[], m: LanguageMatcher): Token[] {
	const kept: Token[] = [];
	for (let i = 0; i < tokens.length; ) {
		const hit = m.politeness.find((p) => startsWith(tokens, i, p));
		if (hit) i += hit.length;
		else kept.push(tokens[i++]);
	}
	return stripEdges(kept, m.fillers, true);
}

function stripEdges(tokens: Token[], phrases: string[][], atEnd: boolean): Token[] {
	let start = 0;
	let end = tokens.length;
	for (let changed = true; changed && start < end; ) {
		changed = false;
		const head = phrases.find((p) => p.length <= end - start && startsWith(tokens, start, p));
		if (head) {
			start += head.length;
			changed = true;
		}
		const tail = atEnd ? phrases.find((p) => p.length <= end - start && endsWith(tokens, end, p)) : undefined;
		if (tail) {
			end -= tail.length;
			changed = true;
		}
	}
	return tokens.slice(start, end);
}

/** Leading framing ("I want to", "quiero que", "أريد") removed, with fillers around it. */
function stripFrames(tokens: Token[], m: LanguageMatcher): Token[] {
	let current = tokens;
	for (;;) {
		const next = stripEdges(stripEdges(current, m.frames, false), m.fillers, true);
		if (next.length === current.length) return current;
		current = next;
	}
}

function sameTokens(a: Token[], b: Token[]): boolean {
	return a.length === b.length && a.every((t, i) => t === b[i]);
}

function tryMatch(
	tokens: Token[],
	lang: Language,
	m: LanguageMatcher,
	prepared: string,
	stripped: boolean,
	allowValue: boolean,
): Detection | undefined {
	if (!tokens.length) return undefined;
	const starts: number[] = [];
	let text = ' ';
	for (const t of tokens) {
		starts.push(text.length);
		text += `${t.norm} `;
	}
	for (const p of m.patterns) {
		if (p.hasValue && !allowValue) continue;
		const match = p.re.exec(text);
		if (!match) continue;
		const detection: Detection = {
			isCommand: true,
			type: p.type,
			confidence: stripped || p.hasSlot ? 'phrase' : 'exact',
			matched: p.source,
		};
		if (p.hasWords || stripped) detection.language = lang;
		const span = (group: string): Token[] => {
			const at = match.indices?.groups?.[group];
			if (!at) return [];
			const first = starts.indexOf(at[0]);
			const out: Token[] = [];
			for (let i = first; i >= 0 && i < tokens.length && starts[i] < at[1]; i++) out.push(tokens[i]);
			return out;
		};
		const id = span('id')[0]?.id;
		if (id) detection.requestId = id;
		if (p.type === 'correct') {
			const fieldWords = span('field');
			const valueWords = span('value');
			const correction: NonNullable<Detection['correction']> = {};
			if (fieldWords.length) {
				const field = m.fields.get(fieldWords.map((t) => t.norm).join(' '));
				if (field) correction.field = field;
			}
			if (valueWords.length) {
				// A leading "+" (phone numbers) belongs to the value; other punctuation around it does not.
				let start = valueWords[0].start;
				if (prepared[start - 1] === '+') start--;
				correction.value = prepared.slice(start, valueWords[valueWords.length - 1].end);
			}
			if (correction.field !== undefined || correction.value !== undefined) detection.correction = correction;
		}
		return detection;
	}
	return undefined;
}

const NOT_A_COMMAND: Readonly<Detection> = Object.freeze({ isCommand: false, confidence: 'phrase' });

function detectWith(compiled: Compiled, text: string, options: DetectOptions): Detection {
	if (typeof text !== 'string' || !text.trim()) return { ...NOT_A_COMMAND };
	const prepared = prepare(text);
	const tokens = tokenize(prepared).filter((t, i, all) => i === 0 || t.norm !== all[i - 1].norm);
	if (!tokens.length || tokens.length > MAX_TOKENS) return { ...NOT_A_COMMAND };

	const allowed = options.languages?.length ? new Set(options.languages) : undefined;
	const order = rankLanguages(prepared, tokens).filter((lang) => !allowed || allowed.has(lang));

	const cores = new Map<Language, Token[]>();
	for (const lang of order) cores.set(lang, stripFillers(tokens, compiled[lang]));
	// Pass 1: the message as it is, in every language; then with fillers removed; then with framing removed.
	// A {value} is only ever read from a message without fillers ("Ana", not "Ana, please").
	for (const lang of order) {
		const hit = tryMatch(tokens, lang, compiled[lang], prepared, false, sameTokens(cores.get(lang)!, tokens));
		if (hit) return hit;
	}
	for (const lang of order) {
		const core = cores.get(lang)!;
		if (sameTokens(core, tokens)) continue;
		const hit = tryMatch(core, lang, compiled[lang], prepared, true, true);
		if (hit) return hit;
	}
	for (const lang of order) {
		const core = cores.get(lang)!;
		const framed = stripFrames(core, compiled[lang]);
		// A single word is a command only on its own: "I want to stop" is not STOP.
		if (framed.length < 2 || sameTokens(framed, core)) continue;
		const hit = tryMatch(framed, lang, compiled[lang], prepared, true, true);
		if (hit) return hit;
	}
	return { ...NOT_A_COMMAND };
}

/** Whether `text` is a privacy command, which one, and in which language. */
export function detectPrivacyCommand(text: string, options: DetectOptions = {}): Detection {
	return detectWith(compiledFor(options), text, options);
}

/**
 * A detector with its options compiled once (invalid keyword patterns throw here, not per message).
 */
export function createPrivacyDetector(options: DetectOptions = {}): (text: string) => Detection {
	const compiled = compiledFor(options);
	return (text) => detectWith(compiled, text, options);
}

// ---------------------------------------------------------------------------------- language guess

const SCRIPTS: Array<[Language, RegExp]> = [
	['bn', /[\u0980-\u09ff]/g],
	['hi', /[\u0900-\u097f]/g],
	['ar', /[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]/g],
];

let hintIndex: Map<string, Set<Language>> | undefined;

/** Every word of the default tables, with the Latin-script languages it belongs to. */
function hints(): Map<string, Set<Language>> {
	if (hintIndex) return hintIndex;
	const index = new Map<string, Set<Language>>();
	const add = (lang: Language, text: string) => {
		// Bengali, Hindi and Arabic are recognised by their script; only Hinglish adds Latin words for them.
		if (lang === 'bn' || lang === 'ar') return;
		for (const w of words(text.replace(/\{[a-z]+\}|[[\]()|]/g, ' '))) {
			if (!/[a-z]/.test(w)) continue;
			let langs = index.get(w);
			if (!langs) index.set(w, (langs = new Set()));
			langs.add(lang);
		}
	};
	for (const lang of DETECT_LANGUAGES) {
		for (const list of Object.values(DEFAULT_KEYWORDS[lang])) list.forEach((k) => add(lang, k));
		for (const list of [DEFAULT_POLITENESS[lang], DEFAULT_FILLERS[lang], DEFAULT_FRAMES[lang], LANGUAGE_HINTS[lang] ?? []]) {
			list.forEach((k) => add(lang, k));
		}
		Object.keys(DEFAULT_FIELDS[lang]).forEach((k) => add(lang, k));
	}
	return (hintIndex = index);
}

/** Languages by evidence: the script first, then Latin words weighted by how few languages share them. */
function rankLanguages(prepared: string, tokens: Token[]): Language[] {
	const score = new Map<Language, number>();
	for (const [lang, re] of SCRIPTS) {
		const count = prepared.match(re)?.length ?? 0;
		if (count) score.set(lang, 1000 + count);
	}
	const index = hints();
	for (const t of tokens) {
		const langs = index.get(t.norm);
		if (!langs) continue;
		for (const lang of langs) score.set(lang, (score.get(lang) ?? 0) + 1 / langs.size);
	}
	return [...DETECT_LANGUAGES]
		.map((lang, i) => ({ lang, i, s: score.get(lang) ?? 0 }))
		.sort((a, b) => b.s - a.s || a.i - b.i)
		.map((x) => x.lang);
}

/**
 * A guess at the language of a message, to answer in it: Bengali, Devanagari (Hindi) or Arabic script
 * decides; Latin text is scored on command words, fillers and common words of English, Spanish,
 * Portuguese, Indonesian and Hinglish. Undefined when nothing points to a language.
 */
export function languageOf(text: string): Language | undefined {
	if (typeof text !== 'string') return undefined;
	const prepared = prepare(text);
	const tokens = tokenize(prepared);
	const scored = new Map<Language, number>();
	for (const [lang, re] of SCRIPTS) {
		const count = prepared.match(re)?.length ?? 0;
		if (count) scored.set(lang, count);
	}
	if (scored.size) return [...scored.entries()].sort((a, b) => b[1] - a[1])[0][0];
	const index = hints();
	let any = false;
	for (const t of tokens) {
		const langs = index.get(t.norm);
		if (!langs) continue;
		any = true;
		for (const lang of langs) scored.set(lang, (scored.get(lang) ?? 0) + 1 / langs.size);
	}
	return any ? rankLanguages(prepared, tokens)[0] : undefined;
}

let languageNameIndex: Map<string, Language> | undefined;

/** The language a correction names ("Spanish", "español", "বাংলা", "pt"), if it is a supported one. */
export function languageNamed(value: string): Language | undefined {
	if (typeof value !== 'string') return undefined;
	if (!languageNameIndex) {
		languageNameIndex = new Map();
		for (const lang of DETECT_LANGUAGES) {
			for (const name of LANGUAGE_NAMES[lang]) languageNameIndex.set(words(name).join(' '), lang);
		}
	}
	return languageNameIndex.get(words(value).join(' '));
}
