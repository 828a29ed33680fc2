/**
 * Markdown, as chat models write it, to WhatsApp's formatting: `*bold*`, `_italic_`, `~strike~`,
 * `` `code` ``, ```` ``` ```` blocks, `- ` lists, `1. ` lists and `> ` quotes. Everything WhatsApp cannot
 * show (headings, links, images, tables, rules) becomes plain, readable text.
 */

interface OutputLine {
	text: string;
	/** Code block content: kept byte for byte, never trimmed or collapsed. */
	verbatim: boolean;
}

interface Fence {
	indent: number;
	char: string;
	length: number;
}

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const RULE = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const QUOTE = /^ {0,3}> ?/;
const BULLET = /^([ \t]*)[-*+][ \t]+(.*)$/;
const ORDERED = /^([ \t]*)(\d{1,9})[.)][ \t]+(.*)$/;
const TASK = /^\[([ xX])\][ \t]+/;
const TABLE_DELIMITER = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

/** Converts model Markdown to WhatsApp formatting; code spans and blocks are left as written. */
export function toWhatsAppFormat(markdown: string): string {
	const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
	return assemble(convertLines(lines));
}

function convertLines(lines: string[]): OutputLine[] {
	const out: OutputLine[] = [];
	const push = (text: string) => out.push({ text, verbatim: false });
	const listIndents: number[] = [];
	let paragraphSource: string | undefined;

	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		const previousParagraph = paragraphSource;
		paragraphSource = undefined;

		const fence = openingFence(line);
		if (fence) {
			const close = closingFenceIndex(lines, i + 1, fence);
			const body = lines.slice(i + 1, close).map((l) => stripIndent(l, fence.indent));
			if (body.some((l) => l.trim())) {
				push('```');
				for (const text of body) out.push({ text, verbatim: true });
				push('```');
			}
			i = close;
			continue;
		}

		if (!line.trim()) {
			push('');
			continue;
		}

		if (QUOTE.test(line)) {
			let end = i;
			while (end < lines.length && QUOTE.test(lines[end])) end++;
			const inner = convertLines(lines.slice(i, end).map((l) => l.replace(QUOTE, '')));
			for (const quoted of inner) {
				if (!quoted.verbatim && !quoted.text.trim()) continue;
				const text = quoted.text.startsWith('>') ? quoted.text : `> ${quoted.text}`;
				out.push({ text, verbatim: quoted.verbatim });
			}
			i = end - 1;
			listIndents.length = 0;
			continue;
		}

		if (previousParagraph !== undefined && SETEXT_UNDERLINE.test(line)) {
			out.pop();
			const heading = renderHeading(previousParagraph);
			if (heading) push(heading);
			continue;
		}

		if (RULE.test(line)) {
			push('');
			listIndents.length = 0;
			continue;
		}

		const heading = HEADING.exec(line);
		if (heading) {
			const text = renderHeading(heading[2] ?? '');
			if (text) push(text);
			listIndents.length = 0;
			continue;
		}

		if (isTableStart(lines, i)) {
			const header = splitRow(lines[i]);
			push(header.map((cell) => renderCell(cell, true)).join(' | '));
			i += 2;
			while (i < lines.length && lines[i].trim() && lines[i].includes('|')) {
				push(splitRow(lines[i]).map((cell) => renderCell(cell, false)).join(' | '));
				i++;
			}
			i--;
			listIndents.length = 0;
			continue;
		}

		const bullet = BULLET.exec(line);
		const ordered = bullet ? null : ORDERED.exec(line);
		if (bullet || ordered) {
			const indent = indentWidth(bullet ? bullet[1] : ordered![1]);
			const level = nestingLevel(listIndents, indent);
			const marker = bullet ? '-' : `${ordered![2]}.`;
			const content = (bullet ? bullet[2] : ordered![3]).replace(TASK, (_, mark: string) =>
				mark === ' ' ? '☐ ' : '☑ ',
			);
			push(`${'  '.repeat(level)}${marker} ${inline(stripHardBreak(content))}`);
			continue;
		}

		const indent = indentWidth(/^[ \t]*/.exec(line)![0]);
		if (listIndents.length && indent > 0) {
			push(`${'  '.repeat(listIndents.length)}${inline(stripHardBreak(line.trim()))}`);
			continue;
		}

		listIndents.length = 0;
		paragraphSource = line.trim();
		push(inline(stripHardBreak(paragraphSource)));
	}
	return out;
}

function assemble(lines: OutputLine[]): string {
	const kept: string[] = [];
	let pendingBlank = false;
	for (const line of lines) {
		const text = line.verbatim ? line.text : line.text.trimEnd();
		if (!line.verbatim && !text.trim()) {
			pendingBlank = kept.length > 0;
			continue;
		}
		if (pendingBlank) kept.push('');
		pendingBlank = false;
		kept.push(text);
	}
	return kept.join('\n').trim();
}

function openingFence(line: string): Fence | undefined {
	const match = /^([ \t]*)(`{3,}|~{3,})(.*)$/.exec(line);
	if (!match || (match[2][0] === '`' && match[3].includes('`'))) return undefined;
	return { indent: indentWidth(match[1]), char: match[2][0], length: match[2].length };
}

function closingFenceIndex(lines: string[], from: number, fence: Fence): number {
	for (let i = from; i < lines.length; i++) {
		const match = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
		if (match && match[1][0] === fence.char && match[1].length >= fence.length) return i;
	}
	return lines.length;
}

function stripIndent(line: string, width: number): string {
	let i = 0;
	while (i < width && line[i] === ' ') i++;
	return line.slice(i);
}

function indentWidth(whitespace: string): number {
	let width = 0;
	for (const ch of whitespace) width += ch === '\t' ? 4 : 1;
	return width;
}

/** Nesting depth of a list item, tracking the indentation of its open ancestors. */
function nestingLevel(stack: number[], indent: number): number {
	while (stack.length && stack[stack.length - 1] > indent) stack.pop();
	if (!stack.length || stack[stack.length - 1] < indent) stack.push(indent);
	return stack.length - 1;
}

function stripHardBreak(text: string): string {
	return text.replace(/\\$/, '');
}

function renderHeading(source: string): string {
	const text = inline(source.trim(), true).trim();
	return text ? `*${text}*` : '';
}

function isTableStart(lines: string[], i: number): boolean {
	const delimiter = lines[i + 1];
	if (!lines[i].includes('|') || delimiter === undefined || !delimiter.includes('|')) return false;
	return TABLE_DELIMITER.test(delimiter) && splitRow(lines[i]).length === splitRow(delimiter).length;
}

function splitRow(line: string): string[] {
	let row = line.trim();
	if (row.startsWith('|')) row = row.slice(1);
	if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
	const cells: string[] = [];
	let cell = '';
	for (let i = 0; i < row.length; i++) {
		if (row[i] === '\\' && row[i + 1] === '|') {
			cell += '|';
			i++;
		} else if (row[i] === '|') {
			cells.push(cell.trim());
			cell = '';
		} else {
			cell += row[i];
		}
	}
	cells.push(cell.trim());
	return cells;
}

function renderCell(cell: string, header: boolean): string {
	const text = inline(cell, header).replace(/\s*\n\s*/g, ' ').trim();
	if (!text) return '-';
	return header ? `*${text}*` : text;
}

// ---------------------------------------------------------------------------------------------------------
// Inline formatting: a CommonMark-style delimiter algorithm, stricter about `*` inside words so that
// `2*3*4` stays as written. URLs, e-mail addresses and code spans are opaque text.

type Style = 'bold' | 'italic' | 'strike';

interface Delimiter {
	char: string;
	length: number;
	remaining: number;
	canOpen: boolean;
	canClose: boolean;
	active: boolean;
	opens: Style[];
	closes: Style[];
}

type Token = string | Delimiter;

const MARK: Record<Style, string> = { bold: '*', italic: '_', strike: '~' };
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const ASCII_ALNUM = /[A-Za-z0-9]/;
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const SPACE = /\s/u;
const PUNCTUATION = /[\p{P}\p{S}]/u;
const URL = /(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s<>]+/iy;
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/uy;
const AUTOLINK = /<((?:[a-z][a-z0-9+.-]*:[^\s<>]*)|(?:[^\s<>@]+@[^\s<>@]+))>/iy;
const LINE_BREAK_TAG = /<br\s*\/?>/iy;

function inline(source: string, inBold = false): string {
	const tokens = tokenize(source);
	matchDelimiters(tokens.filter((t): t is Delimiter => typeof t !== 'string'));
	return render(tokens, inBold);
}

function tokenize(src: string): Token[] {
	const tokens: Token[] = [];
	let text = '';
	const emit = (token: Token) => {
		if (text) tokens.push(text);
		text = '';
		tokens.push(token);
	};

	let i = 0;
	while (i < src.length) {
		const ch = src[i];
		if (ch === '\\' && i + 1 < src.length && ASCII_PUNCTUATION.test(src[i + 1])) {
			text += src[i + 1];
			i += 2;
			continue;
		}
		if (ch === '`') {
			const run = runLength(src, i, '`');
			const close = findBacktickRun(src, i + run, run);
			if (close < 0) {
				text += src.slice(i, i + run);
				i += run;
			} else {
				text += renderCodeSpan(src.slice(i, close + run), src.slice(i + run, close));
				i = close + run;
			}
			continue;
		}
		if (ch === '[' || (ch === '!' && src[i + 1] === '[')) {
			const image = ch === '!';
			const link = parseLink(src, image ? i + 1 : i);
			if (link) {
				text += image ? renderImage(link.label, link.url) : renderLink(link.label, link.url);
				i = link.end;
				continue;
			}
		}
		if (ch === '<') {
			const opaque = matchAt(AUTOLINK, src, i);
			if (opaque) {
				text += opaque[1].replace(/^mailto:/i, '');
				i += opaque[0].length;
				continue;
			}
			const lineBreak = matchAt(LINE_BREAK_TAG, src, i);
			if (lineBreak) {
				text += '\n';
				i += lineBreak[0].length;
				continue;
			}
		}
		if (!WORD_CHAR.test(codePointBefore(src, i))) {
			const opaque = bareUrl(src, i) ?? matchAt(EMAIL, src, i)?.[0];
			if (opaque) {
				text += opaque;
				i += opaque.length;
				continue;
			}
		}
		if (ch === '*' || ch === '_' || ch === '~') {
			const length = runLength(src, i, ch);
			if (ch !== '~' || length === 2) {
				emit(delimiter(src, i, ch, length));
			} else {
				text += src.slice(i, i + length);
			}
			i += length;
			continue;
		}
		text += ch;
		i++;
	}
	if (text) tokens.push(text);
	return tokens;
}

function delimiter(src: string, start: number, char: string, length: number): Delimiter {
	const before = codePointBefore(src, start);
	const after = codePointAt(src, start + length);
	const isSpace = (c: string) => !c || SPACE.test(c);
	const isPunct = (c: string) => PUNCTUATION.test(c);
	const leftFlanking = !isSpace(after) && (!isPunct(after) || isSpace(before) || isPunct(before));
	const rightFlanking = !isSpace(before) && (!isPunct(before) || isSpace(after) || isPunct(after));
	let canOpen: boolean;
	let canClose: boolean;
	if (char === '_') {
		canOpen = leftFlanking && (!rightFlanking || isPunct(before));
		canClose = rightFlanking && (!leftFlanking || isPunct(after));
	} else {
		canOpen = leftFlanking && !ASCII_ALNUM.test(before);
		canClose = rightFlanking && !ASCII_ALNUM.test(after);
	}
	return { char, length, remaining: length, canOpen, canClose, active: true, opens: [], closes: [] };
}

function matchDelimiters(delimiters: Delimiter[]): void {
	for (let c = 0; c < delimiters.length; c++) {
		const closer = delimiters[c];
		if (!closer.canClose) continue;
		while (closer.remaining > 0) {
			const o = findOpener(delimiters, c);
			if (o < 0) break;
			const opener = delimiters[o];
			let use = 1;
			if (closer.char === '~') use = 2;
			else if (opener.remaining >= 3 && closer.remaining >= 3) use = 1;
			else if (opener.remaining >= 2 && closer.remaining >= 2) use = 2;
			const style: Style = closer.char === '~' ? 'strike' : use === 2 ? 'bold' : 'italic';
			opener.remaining -= use;
			closer.remaining -= use;
			opener.opens.unshift(style);
			closer.closes.push(style);
			for (let k = o + 1; k < c; k++) delimiters[k].active = false;
		}
	}
}

function findOpener(delimiters: Delimiter[], closerIndex: number): number {
	const closer = delimiters[closerIndex];
	for (let k = closerIndex - 1; k >= 0; k--) {
		const d = delimiters[k];
		if (!d.active || !d.canOpen || d.remaining === 0 || d.char !== closer.char) continue;
		const ruleOfThree =
			(d.canClose || closer.canOpen) &&
			(d.length + closer.length) % 3 === 0 &&
			!(d.length % 3 === 0 && closer.length % 3 === 0);
		if (!ruleOfThree) return k;
	}
	return -1;
}

function render(tokens: Token[], inBold: boolean): string {
	const depth: Record<Style, number> = { bold: inBold ? 1 : 0, italic: 0, strike: 0 };
	let out = '';
	for (const token of tokens) {
		if (typeof token === 'string') {
			out += token;
			continue;
		}
		for (const style of token.closes) {
			if (--depth[style] === 0) out += MARK[style];
		}
		out += token.char.repeat(token.remaining);
		for (const style of token.opens) {
			if (depth[style]++ === 0) out += MARK[style];
		}
	}
	return out;
}

function renderCodeSpan(original: string, content: string): string {
	if (content.includes('`')) return original;
	const trimmed = /^ .*[^ ].* $/.test(content) ? content.slice(1, -1) : content;
	return `\`${trimmed}\``;
}

function renderLink(label: string, url: string): string {
	const text = inline(label).trim();
	if (!url || url.startsWith('#')) return text || url;
	if (!text) return url;
	const bareUrl = url.replace(/^(?:mailto|tel):/i, '');
	const plain = label.trim();
	if ([url, bareUrl].includes(plain) || url.replace(/^https?:\/\//i, '') === plain) return bareUrl;
	return `${text} (${bareUrl})`;
}

function renderImage(alt: string, url: string): string {
	const text = inline(alt).trim();
	if (!url) return text;
	return text ? `${text} (${url})` : url;
}

/** `[label](url "title")` starting at the `[`; undefined when the text is not a complete inline link. */
function parseLink(src: string, open: number): { label: string; url: string; end: number } | undefined {
	let depth = 0;
	let close = -1;
	for (let i = open; i < src.length; i++) {
		if (src[i] === '\\') {
			i++;
		} else if (src[i] === '[') {
			depth++;
		} else if (src[i] === ']' && --depth === 0) {
			close = i;
			break;
		}
	}
	if (close < 0 || src[close + 1] !== '(') return undefined;

	let i = close + 2;
	while (src[i] === ' ') i++;
	let url = '';
	if (src[i] === '<') {
		const end = src.indexOf('>', i);
		if (end < 0) return undefined;
		url = src.slice(i + 1, end);
		i = end + 1;
	} else {
		let parens = 0;
		const start = i;
		for (; i < src.length && !SPACE.test(src[i]); i++) {
			if (src[i] === '(') parens++;
			else if (src[i] === ')' && parens-- === 0) break;
		}
		url = src.slice(start, i);
	}
	while (src[i] === ' ') i++;
	const title = /^(?:"[^"]*"|'[^']*'|\([^)]*\))/.exec(src.slice(i));
	if (title) i += title[0].length;
	while (src[i] === ' ') i++;
	if (src[i] !== ')') return undefined;
	return { label: src.slice(open + 1, close), url, end: i + 1 };
}

function bareUrl(src: string, i: number): string | undefined {
	let url = matchAt(URL, src, i)?.[0];
	if (!url) return undefined;
	for (;;) {
		const last = url.at(-1)!;
		const unbalanced = (last === ')' && count(url, '(') < count(url, ')')) || (last === ']' && count(url, '[') < count(url, ']'));
		if (!'.,;:!?\'"*_~'.includes(last) && !unbalanced) break;
		url = url.slice(0, -1);
	}
	return url.length > (url.startsWith('www.') ? 4 : url.indexOf('//') + 2) ? url : undefined;
}

function count(text: string, ch: string): number {
	return text.split(ch).length - 1;
}

function matchAt(pattern: RegExp, src: string, i: number): RegExpExecArray | null {
	pattern.lastIndex = i;
	return pattern.exec(src);
}

function runLength(src: string, i: number, ch: string): number {
	let end = i;
	while (src[end] === ch) end++;
	return end - i;
}

function findBacktickRun(src: string, from: number, length: number): number {
	for (let i = from; i < src.length; ) {
		if (src[i] !== '`') {
			i++;
			continue;
		}
		const run = runLength(src, i, '`');
		if (run === length) return i;
		i += run;
	}
	return -1;
}

function codePointBefore(src: string, i: number): string {
	if (i <= 0) return '';
	const low = src.charCodeAt(i - 1);
	if (i >= 2 && low >= 0xdc00 && low <= 0xdfff) return src.slice(i - 2, i);
	return src[i - 1];
}

function codePointAt(src: string, i: number): string {
	const cp = src.codePointAt(i);
	return cp === undefined ? '' : String.fromCodePoint(cp);
}
