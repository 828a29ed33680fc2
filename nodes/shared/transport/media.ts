import { createHash } from 'node:crypto';

import { graphRequest, GraphApiError, type HttpRequester, type RetryPolicy, DEFAULT_RETRY } from './graphApi';
import type { MetaCredentials } from './metaCredentials';

/** Meta's own limits per media kind (reference §4); larger inbound media cannot be legitimate. */
export const MEDIA_SIZE_LIMITS: Record<string, number> = {
	audio: 16 * 1024 * 1024,
	document: 100 * 1024 * 1024,
	image: 5 * 1024 * 1024,
	sticker: 500 * 1024,
	video: 16 * 1024 * 1024,
};

export interface DownloadedMedia {
	data: Buffer;
	mimeType: string;
	fileSize: number;
	sha256Hex: string;
	fileName?: string;
}

export type MediaErrorReason = 'too_large' | 'checksum_mismatch' | 'not_found' | 'api_error';

/** A media download that failed; `message` is safe to show and log (no content, no token). */
export class MediaDownloadError extends Error {
	constructor(
		readonly reason: MediaErrorReason,
		message: string,
		readonly graphCode?: number,
	) {
		super(message);
		this.name = 'MediaDownloadError';
	}
}

interface MediaUrlResponse {
	url?: string;
	mime_type?: string;
	sha256?: string;
	file_size?: number | string;
	id?: string;
}

export interface DownloadOptions {
	maxBytes: number;
	/** The sha256 the webhook announced (base64), checked against the bytes when present. */
	expectedSha256Base64?: string;
	retry?: RetryPolicy;
}

function fileNameFrom(disposition: unknown): string | undefined {
	const match = typeof disposition === 'string' ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition) : null;
	return match ? decodeURIComponent(match[1]) : undefined;
}

async function lookUp(http: HttpRequester, creds: MetaCredentials, mediaId: string, retry: RetryPolicy) {
	const { body } = await graphRequest<MediaUrlResponse>(
		http,
		creds,
		{ method: 'GET', path: `/${encodeURIComponent(mediaId)}`, qs: { phone_number_id: creds.phoneNumberId } },
		retry,
	);
	if (!body?.url) throw new MediaDownloadError('api_error', 'Meta returned no download URL for the media.');
	return body;
}

/**
 * Meta's two-step media download: `GET /{media-id}` for a URL that lives 5 minutes, then the bytes with
 * the bearer token. Checks the announced size before downloading and the sha256 after.
 */
export async function downloadMedia(
	http: HttpRequester,
	creds: MetaCredentials,
	mediaId: string,
	options: DownloadOptions,
): Promise<DownloadedMedia> {
	const retry = options.retry ?? DEFAULT_RETRY;
	try {
		let info = await lookUp(http, creds, mediaId, retry);
		const announced = Number(info.file_size);
		if (Number.isFinite(announced) && announced > options.maxBytes) {
			throw new MediaDownloadError('too_large', `The media is ${announced} bytes, over the ${options.maxBytes}-byte limit.`);
		}
		let response;
		try {
			response = await graphRequest<ArrayBuffer>(http, creds, { method: 'GET', path: info.url!, binary: true }, retry);
		} catch (error) {
			if (!(error instanceof GraphApiError) || error.httpStatus !== 404) throw error;
			info = await lookUp(http, creds, mediaId, retry);
			response = await graphRequest<ArrayBuffer>(http, creds, { method: 'GET', path: info.url!, binary: true }, retry);
		}
		const data = Buffer.from(response.body as ArrayBuffer);
		if (data.length > options.maxBytes) {
			throw new MediaDownloadError('too_large', `The media is ${data.length} bytes, over the ${options.maxBytes}-byte limit.`);
		}
		const digest = createHash('sha256').update(data);
		const sha256Hex = digest.digest('hex');
		const expectedHex = info.sha256?.toLowerCase();
		const webhookHex = options.expectedSha256Base64
			? Buffer.from(options.expectedSha256Base64, 'base64').toString('hex')
			: undefined;
		if ((expectedHex && expectedHex !== sha256Hex) || (webhookHex && webhookHex !== sha256Hex)) {
			throw new MediaDownloadError('checksum_mismatch', 'The downloaded media does not match the sha256 Meta announced.');
		}
		const contentType = String(response.headers['content-type'] ?? '');
		return {
			data,
			mimeType: info.mime_type ?? (contentType || 'application/octet-stream'),
			fileSize: data.length,
			sha256Hex,
			fileName: fileNameFrom(response.headers['content-disposition']),
		};
	} catch (error) {
		if (error instanceof MediaDownloadError) throw error;
		if (error instanceof GraphApiError) {
			throw new MediaDownloadError(error.httpStatus === 404 ? 'not_found' : 'api_error', error.message, error.code);
		}
		throw error;
	}
}
