/**
 * Masks personal data in text before it is sent to a language model: e-mail addresses, payment card
 * numbers, IBANs and phone numbers. Cards and IBANs are masked only when their check digits are valid,
 * so order numbers and references stay readable.
 */

export interface MaskOptions {
	emails?: boolean;
	cards?: boolean;
	ibans?: boolean;
	phones?: boolean;
}

export interface MaskCounts {
	emails: number;
	cards: number;
	ibans: number;
	phones: number;
}

export interface MaskResult {
	text: string;
	/** How many of each were replaced; the values themselves are never returned. */
	counts: MaskCounts;
}

export const MASK_PLACEHOLDERS = {
	email: '[email]',
	card: '[card]',
	iban: '[iban]',
	phone: '[phone]',
} as const;

/** IBAN lengths from the SWIFT IBAN registry. */
const IBAN_LENGTHS: Record<string, number> = {
	AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
	CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
	FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
	IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
	LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
	NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
	SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
	UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** Code points of the digit zero in scripts whose digits customers type (Arabic-Indic, Bengali, Devanagari…). */
const DIGIT_ZEROS = [
	0x660, 0x6f0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xe50, 0xed0, 0xf20, 0x1040,
	0x17e0, 0xff10,
];
const LOCAL_DIGIT = new RegExp(
	`[${DIGIT_ZEROS.map((z) => `\\u${hex(z)}-\\u${hex(z + 9)}`).join('')}]`,
	'g',
);

const EMAIL =
	/(?<![\p{L}\p{M}\p{N}._%+-])[\p{L}\p{M}\p{N}_%+-][\p{L}\p{M}\p{N}._%+-]*@(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?\.)+[\p{L}\p{M}]{2,}(?![\p{L}\p{M}\p{N}-])/gu;
const IBAN_CANDIDATE = /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,32}/gu;
const DATE = /(?<!\d)(?:\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2(?:\d{4}|\d{2}))(?!\d)/g;
const CARD_RUN = /\d+(?:[ -]\d+)*/g;
const PHONE_RUN = /[+(]*\d+(?:[ .\/()-]{1,3}\d+)*\)?/g;
const PHONE_SEPARATOR = /^(?:[ .\/-]|[ -]?\(|\)[ -]?)$/;
const WORD_BEFORE = /[\p{L}\p{N}\p{M}_#@+&$€£¥₹৳%]/u;
const WORD_AFTER = /[\p{L}\p{N}\p{M}_@%]/u;
const ALNUM = /[\p{L}\p{N}]/u;

type Span = [start: number, end: number];

interface Group {
	start: number;
	end: number;
	digits: string;
}

interface Run {
	start: number;
	prefix: string;
	groups: Group[];
	/** `separators[k]` sits between `groups[k]` and `groups[k + 1]`. */
	separators: string[];
}

/** What each kind is found by and replaced with, in the order they are masked: IBANs before cards, phones last. */
const MASKERS: ReadonlyArray<{ kind: keyof MaskCounts; find: (text: string) => Span[]; placeholder: string }> = [
	{ kind: 'emails', find: findEmails, placeholder: MASK_PLACEHOLDERS.email },
	{ kind: 'ibans', find: findIbans, placeholder: MASK_PLACEHOLDERS.iban },
	{ kind: 'cards', find: findCards, placeholder: MASK_PLACEHOLDERS.card },
	{ kind: 'phones', find: findPhones, placeholder: MASK_PLACEHOLDERS.phone },
];

/**
 * Replaces e-mail addresses, card numbers (13–19 digits, Luhn-valid), IBANs (registry length and mod-97
 * valid) and phone numbers with `[email]`, `[card]`, `[iban]` and `[phone]`. Every kind is on unless
 * switched off in `options`.
 */
export function maskPersonalData(text: string, options: MaskOptions = {}): MaskResult {
	const counts: MaskCounts = { emails: 0, cards: 0, ibans: 0, phones: 0 };
	let out = text;
	for (const { kind, find, placeholder } of MASKERS) {
		if (options[kind] === false) continue;
		const spans = find(out);
		counts[kind] = spans.length;
		out = replaceSpans(out, spans, placeholder);
	}
	return { text: out, counts };
}

function findEmails(text: string): Span[] {
	return [...text.matchAll(EMAIL)].map((m): Span => [m.index, m.index + m[0].length]);
}

/** Luhn (mod 10) check over the digits of `value`; spaces and hyphens are ignored. */
export function isLuhnValid(value: string): boolean {
	const digits = toAsciiDigits(value).replace(/[ -]/g, '');
	if (!/^\d{2,}$/.test(digits)) return false;
	let sum = 0;
	for (let i = 0; i < digits.length; i++) {
		let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
		if (i % 2 === 1) {
			digit *= 2;
			if (digit > 9) digit -= 9;
		}
		sum += digit;
	}
	return sum % 10 === 0;
}

/**
 * ISO 13616 IBAN check: a country in the SWIFT registry, that country's length, and mod 97 = 1.
 * Spaces are ignored and letters may be in either case.
 */
export function isIbanValid(value: string): boolean {
	const iban = value.replace(/ /g, '').toUpperCase();
	if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
	if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
	let remainder = 0;
	for (const ch of iban.slice(4) + iban.slice(0, 4)) {
		const code = ch.charCodeAt(0);
		remainder = code >= 65 ? (remainder * 100 + code - 55) % 97 : (remainder * 10 + code - 48) % 97;
	}
	return remainder === 1;
}

function replaceSpans(text: string, spans: Span[], placeholder: string): string {
	let out = '';
	let from = 0;
	for (const [start, end] of spans) {
		out += text.slice(from, start) + placeholder;
		from = end;
	}
	return out + text.slice(from);
}

/**
 * Scans IBAN-shaped strings (two letters, two digits, then letters and digits, optionally in
 * space-separated groups) and keeps, for each, the longest prefix that `accept` takes. A prefix may end
 * before a space or at a word boundary, so the words that follow an IBAN are not mistaken for part of it.
 */
function scanIbans(text: string, accept: (candidate: string) => boolean): Span[] {
	const spans: Span[] = [];
	const pattern = new RegExp(IBAN_CANDIDATE.source, 'gu');
	for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
		const start = match.index;
		const end = start + match[0].length;
		const ends: number[] = [];
		if (!ALNUM.test(text[end] ?? '')) ends.push(end);
		for (let i = end - 1; i > start; i--) if (text[i] === ' ') ends.push(i);
		const accepted = ends.find((e) => accept(text.slice(start, e)));
		if (accepted === undefined) {
			pattern.lastIndex = start + 1;
			continue;
		}
		spans.push([start, accepted]);
		pattern.lastIndex = accepted;
	}
	return spans;
}

function findIbans(text: string): Span[] {
	return scanIbans(text, isIbanValid);
}

/** IBAN-shaped strings from a registry country that fail the check: their digits are not cards or phones. */
function ibanLookalikes(text: string): Span[] {
	return scanIbans(text, (candidate) => {
		const compact = candidate.replace(/ /g, '');
		return compact.slice(0, 2).toUpperCase() in IBAN_LENGTHS && compact.length >= 15 && compact.length <= 34;
	});
}

function findCards(text: string): Span[] {
	const normalized = toAsciiDigits(text);
	const excluded = [...ibanLookalikes(text), ...dates(normalized)];
	const spans: Span[] = [];
	for (const run of runs(normalized, CARD_RUN)) {
		const { groups } = run;
		for (let i = 0; i < groups.length; i++) {
			if (i === 0 && !boundaryBefore(normalized, run.start)) continue;
			for (let j = groups.length - 1; j >= i; j--) {
				const digits = joinDigits(groups, i, j);
				if (digits.length < 13) break;
				const span: Span = [groups[i].start, groups[j].end];
				if (digits.length > 19 || !isLuhnValid(digits)) continue;
				const separators = run.separators.slice(i, j);
				if (separators.some((s) => s !== separators[0])) continue;
				if (j === groups.length - 1 && !boundaryAfter(normalized, span[1])) continue;
				if (overlaps(span, excluded)) continue;
				spans.push(span);
				i = j;
				break;
			}
		}
	}
	return spans;
}

/**
 * Several numbers may share one run of digit groups ("0171 2345678 0181 2345678"); inside a run a number
 * may only start or end where the following group begins a new one (a leading 0 or an opening bracket),
 * so an unchecked 16-digit reference is never masked piecemeal. Digit groups that continue a word
 * ("XX89 3704 0044") are a reference, not a phone.
 */
function findPhones(text: string): Span[] {
	const normalized = toAsciiDigits(text);
	const excluded = [...ibanLookalikes(text), ...dates(normalized)];
	const spans: Span[] = [];
	for (const run of runs(normalized, PHONE_RUN)) {
		if (!boundaryBefore(normalized, run.start)) continue;
		const { groups, separators } = run;
		const last = groups.length - 1;
		const joined = (k: number) => PHONE_SEPARATOR.test(separators[k]);
		const beginsNumber = (k: number) => groups[k].digits.startsWith('0') || separators[k - 1].endsWith('(');
		const canStart = (k: number) => k === 0 || !joined(k - 1) || beginsNumber(k);
		const canEnd = (k: number) => k === last || !joined(k) || beginsNumber(k + 1);
		for (let i = 0; i < groups.length; i++) {
			if (!canStart(i)) continue;
			for (let j = last; j >= i; j--) {
				const span = canEnd(j) ? phoneSpan(normalized, run, i, j) : undefined;
				if (!span || overlaps(span, excluded)) continue;
				spans.push(span);
				i = j;
				break;
			}
		}
	}
	return spans;
}

/** The span of groups `i`..`j` of a run when they form a phone number. */
function phoneSpan(text: string, run: Run, i: number, j: number): Span | undefined {
	const { groups, separators } = run;
	const inner = separators.slice(i, j);
	if (!inner.every((s) => PHONE_SEPARATOR.test(s))) return undefined;

	const international = i === 0 && run.prefix.includes('+');
	let start = groups[i].start;
	if (i === 0) start = run.start;
	else if (separators[i - 1].endsWith('(')) start--;
	let end = groups[j].end;
	const unclosed = count(text.slice(start, end), '(') > count(text.slice(start, end), ')');
	if (unclosed && text[end] === ')') end++;
	const body = text.slice(start, end);
	const brackets = count(body, '(');
	if (brackets > 1 || brackets !== count(body, ')')) return undefined;
	if ((j === groups.length - 1 || end > groups[j].end) && !boundaryAfter(text, end)) return undefined;

	const digits = joinDigits(groups, i, j);
	if (international || digits.startsWith('00')) {
		const significant = international ? digits.length : digits.length - 2;
		if (significant < 8 || significant > 15) return undefined;
	} else {
		if (digits.length < 9 || digits.length > 12) return undefined;
		if (i === j && !(digits.startsWith('0') && digits.length >= 10)) return undefined;
		if (looksLikeAmountOrAddress(groups.slice(i, j + 1), inner, digits)) return undefined;
	}
	return [start, end];
}

/** `123 456 789`, `1.299.000.000` and `192.168.1.10` are numbers, not phones. */
function looksLikeAmountOrAddress(groups: Group[], separators: string[], digits: string): boolean {
	if (!separators.length) return false;
	const sameSeparator = separators.every((s) => s === separators[0]);
	if (!sameSeparator || !/^[ .]$/.test(separators[0])) return false;
	if (!digits.startsWith('0') && groups.slice(1).every((g) => g.digits.length === 3)) return true;
	return separators[0] === '.' && groups.length === 4 && groups.every((g) => g.digits.length <= 3);
}

/** Dates such as 2026-11-27, 27.11.2026 or 11/27/26: their digits are never cards or phones. */
function dates(text: string): Span[] {
	const month = (v: string) => v.length <= 2 && +v >= 1 && +v <= 12;
	const day = (v: string) => v.length <= 2 && +v >= 1 && +v <= 31;
	const spans: Span[] = [];
	for (const match of text.matchAll(DATE)) {
		const [a, b, c] = match[0].split(/[-./]/);
		const plausible =
			a.length === 4 ? month(b) && day(c) : (day(a) && month(b)) || (month(a) && day(b));
		if (plausible) spans.push([match.index!, match.index! + match[0].length]);
	}
	return spans;
}

function runs(text: string, pattern: RegExp): Run[] {
	const found: Run[] = [];
	for (const match of text.matchAll(pattern)) {
		const start = match.index!;
		const groups = [...match[0].matchAll(/\d+/g)].map(
			(g): Group => ({ start: start + g.index!, end: start + g.index! + g[0].length, digits: g[0] }),
		);
		const separators = groups.slice(1).map((g, k) => text.slice(groups[k].end, g.start));
		found.push({ start, prefix: text.slice(start, groups[0].start), groups, separators });
	}
	return found;
}

function boundaryBefore(text: string, i: number): boolean {
	const previous = text[i - 1];
	if (previous === undefined) return true;
	if (WORD_BEFORE.test(previous)) return false;
	return !(/[.,\-/]/.test(previous) && ALNUM.test(text[i - 2] ?? ''));
}

function boundaryAfter(text: string, i: number): boolean {
	const next = text[i];
	if (next === undefined) return true;
	if (WORD_AFTER.test(next)) return false;
	return !(/[.,\-/]/.test(next) && /\d/.test(text[i + 1] ?? ''));
}

function joinDigits(groups: Group[], i: number, j: number): string {
	return groups
		.slice(i, j + 1)
		.map((g) => g.digits)
		.join('');
}

function overlaps([start, end]: Span, spans: Span[]): boolean {
	return spans.some(([s, e]) => start < e && end > s);
}

function toAsciiDigits(text: string): string {
	return text.replace(LOCAL_DIGIT, (d) => {
		const code = d.charCodeAt(0);
		const zero = DIGIT_ZEROS.find((z) => code >= z && code <= z + 9)!;
		return String(code - zero);
	});
}

function count(text: string, ch: string): number {
	return text.split(ch).length - 1;
}

function hex(code: number): string {
	return code.toString(16).padStart(4, '0');
}
