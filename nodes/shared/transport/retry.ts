export const sleep = async (ms: number): Promise<void> =>
	await new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds or an HTTP date, as servers send it; undefined when absent or unreadable. */
export function parseRetryAfter(header: unknown): number | undefined {
	const value = Array.isArray(header) ? header[0] : header;
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(String(value));
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Exponential backoff with full jitter; a server's Retry-After wins when it asks for longer. */
export function backoffDelay(attempt: number, baseMs: number, retryAfterMs?: number, random = Math.random): number {
	const exponential = baseMs * 2 ** (attempt - 1);
	const jittered = Math.round(exponential / 2 + random() * (exponential / 2));
	return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}
