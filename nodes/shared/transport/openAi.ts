import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { trimmedOr } from '../coerce';

export const OPENAI_CREDENTIAL = 'whatsAutoOpenAiApi';

export interface OpenAiCredentials {
	apiKey: string;
	baseUrl: string;
	organizationId?: string;
}

export function toOpenAiCredentials(raw: ICredentialDataDecryptedObject): OpenAiCredentials {
	return {
		apiKey: trimmedOr(raw.apiKey),
		baseUrl: trimmedOr(raw.baseUrl, 'https://api.openai.com/v1').replace(/\/+$/, ''),
		organizationId: trimmedOr(raw.organizationId) || undefined,
	};
}

export interface ClientLimits {
	/** One request's timeout. */
	timeoutMs: number;
	/** Retries of 408/409/429/5xx and connection errors, with the SDK's backoff that honours Retry-After. */
	maxRetries: number;
}

export const DEFAULT_LIMITS: ClientLimits = { timeoutMs: 45_000, maxRetries: 3 };

/**
 * The official SDK, pointed at the credential's base URL, with its own logging off: requests carry what
 * customers wrote and must never reach a log.
 */
export function openAiClient(creds: OpenAiCredentials, limits: ClientLimits = DEFAULT_LIMITS): OpenAI {
	return new OpenAI({
		apiKey: creds.apiKey,
		baseURL: creds.baseUrl,
		organization: creds.organizationId ?? null,
		timeout: limits.timeoutMs,
		maxRetries: limits.maxRetries,
		logLevel: 'off',
	});
}

/**
 * `work`, or an APIUserAbortError as soon as `signal` aborts. The SDK passes the signal to each request but
 * sleeps through a server's Retry-After without watching it, so a long Retry-After would outlast the budget.
 */
export async function withinBudget<T>(work: PromiseLike<T>, signal: AbortSignal): Promise<T> {
	return await new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new APIUserAbortError());
		if (signal.aborted) onAbort();
		else signal.addEventListener('abort', onAbort, { once: true });
		work.then(
			(value) => {
				signal.removeEventListener('abort', onAbort);
				resolve(value);
			},
			(error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			},
		);
	});
}

export interface OpenAiFailure {
	message: string;
	status?: number;
	code?: string;
	/** A configuration problem the builder must fix (key, model, quota), as opposed to a passing outage. */
	configuration: boolean;
}

/** What went wrong, for a no-code builder; never includes the request or the model's output. */
export function describeOpenAiError(error: unknown): OpenAiFailure {
	if (error instanceof APIConnectionTimeoutError) return { message: 'OpenAI did not answer in time.', configuration: false };
	if (error instanceof APIUserAbortError) return { message: 'The OpenAI request ran out of its time budget.', configuration: false };
	if (error instanceof APIError) {
		const status = error.status;
		const code = typeof error.code === 'string' ? error.code : undefined;
		if (status === 401) return { message: 'OpenAI rejected the API key. Create a new key and update the WhatsAuto: OpenAI API credential.', status, code, configuration: true };
		if (status === 403) return { message: 'The OpenAI key may not use this model or endpoint (check the project’s permissions).', status, code, configuration: true };
		if (status === 404) return { message: 'The selected model is not available for this OpenAI key. Pick another model.', status, code, configuration: true };
		if (status === 429 && code === 'insufficient_quota') return { message: 'The OpenAI account has run out of credit.', status, code, configuration: true };
		if (status === 429) return { message: 'OpenAI rate limit reached; retries did not get through in time.', status, code, configuration: false };
		if (status === 400 && code === 'context_length_exceeded') return { message: 'The message was too long for the model.', status, code, configuration: false };
		if (status === 400) return { message: `OpenAI refused the request (${code ?? 'bad request'}).`, status, code, configuration: false };
		if (status !== undefined && status >= 500) return { message: `OpenAI had a server error (HTTP ${status}).`, status, code, configuration: false };
		return { message: 'Could not reach OpenAI. Check the Base URL in the credential and the network.', status, code, configuration: false };
	}
	return { message: 'The OpenAI call failed.', configuration: false };
}
