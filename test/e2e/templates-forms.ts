/**
 * A browser's part in an n8n 2.41.1 multi-page form, over plain HTTP, as the pages' own scripts do it
 * (n8n/templates/form-trigger.handlebars and form-trigger-completion.handlebars):
 *
 * 1. GET  /form/<path>                    → the first page; inputs are named field-0, field-1, … in field order.
 * 2. POST /form/<path> (multipart/form-data, the Form Trigger asserts it) → with a next page connected, JSON
 *    `{ formWaitingUrl: "<base>/form-waiting/<executionId>?signature=<resume token>" }`.
 * 3. GET  <formWaitingUrl>/n8n-execution-status?signature=… until `form-waiting` (the execution waits in a Form node).
 * 4. GET  <formWaitingUrl> → that Form node's page; POST multipart to it → the execution resumes.
 * 5. A completion page (Form node, "Form Ending") is reached the same way; the page then POSTs to its own URL to let
 *    the execution finish.
 */
import { sleep } from './templates-env';

export interface Page {
	status: number;
	url: string;
	html: string;
	/** Input names (field-0, …) in order. */
	fields: string[];
}

function fieldsOf(html: string): string[] {
	return [...new Set([...html.matchAll(/name=['"](field-\d+)['"]/g)].map((m) => m[1]))];
}

export async function getPage(url: string): Promise<Page> {
	const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
	const html = await res.text();
	return { status: res.status, url, html, fields: fieldsOf(html) };
}

/** What the browser's FormData holds: every field of the page, in order. */
export async function postForm(url: string, values: string[]): Promise<{ status: number; text: string; location?: string }> {
	const body = new FormData();
	values.forEach((value, index) => body.append(`field-${index}`, value));
	const res = await fetch(url, { method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
	return { status: res.status, text: await res.text(), location: res.headers.get('location') ?? undefined };
}

export function statusUrl(formWaitingUrl: string): string {
	const url = new URL(formWaitingUrl);
	url.pathname = `${url.pathname}/n8n-execution-status`;
	return url.toString();
}

/** Polls the execution status like the page does; resolves with the last answer once it is not `waiting`/`running`/`new`. */
export async function waitForFormStatus(formWaitingUrl: string, timeoutMs = 30_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	for (;;) {
		const res = await fetch(statusUrl(formWaitingUrl), { signal: AbortSignal.timeout(10_000) });
		last = (await res.text()).trim();
		if (!['waiting', 'running', 'new'].includes(last)) return last;
		if (Date.now() > deadline) throw new Error(`form execution still "${last}" after ${timeoutMs} ms`);
		await sleep(200);
	}
}

/** The completion page's own POST (its script sends `body: {}`, i.e. the text "[object Object]"). */
export async function confirmCompletion(formWaitingUrl: string): Promise<number> {
	const res = await fetch(formWaitingUrl, { method: 'POST', body: '[object Object]', redirect: 'manual', signal: AbortSignal.timeout(15_000) });
	await res.arrayBuffer();
	return res.status;
}

/** Visible text of a page: tags, scripts and styles removed, whitespace collapsed, entities decoded. */
export function visibleText(html: string): string {
	return html
		.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
		.replace(/<[^>]+>/g, ' ')
		.replace(/&#x27;|&#39;/g, "'")
		.replace(/&quot;/g, '"')
		.replace(/&amp;/g, '&')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/\s+/g, ' ')
		.trim();
}
