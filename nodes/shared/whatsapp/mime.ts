/**
 * The media types WhatsApp carries, in one table: the file extension each is saved under, and the one
 * OpenAI's transcription accepts it under. MIME types are compared without parameters, in lower case.
 */

interface MediaFormat {
	/** For file names: `image.jpg`, `audio.ogg`… */
	extension: string;
	/**
	 * The extension OpenAI's transcription takes the format under (AAC plays as M4A, 3GPP as MP4); absent
	 * when it cannot transcribe it at all (AMR, from older phones).
	 */
	transcription?: string;
}

const FORMATS: Readonly<Record<string, MediaFormat>> = {
	'image/jpeg': { extension: 'jpg' },
	'image/png': { extension: 'png' },
	'image/webp': { extension: 'webp' },
	'video/mp4': { extension: 'mp4', transcription: 'mp4' },
	'video/3gpp': { extension: '3gp', transcription: 'mp4' },
	'audio/ogg': { extension: 'ogg', transcription: 'ogg' },
	'audio/mpeg': { extension: 'mp3', transcription: 'mp3' },
	'audio/mp4': { extension: 'm4a', transcription: 'm4a' },
	'audio/aac': { extension: 'aac', transcription: 'm4a' },
	'audio/amr': { extension: 'amr' },
	'application/pdf': { extension: 'pdf' },
	'text/plain': { extension: 'txt' },
	'application/msword': { extension: 'doc' },
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { extension: 'docx' },
	'application/vnd.ms-excel': { extension: 'xls' },
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { extension: 'xlsx' },
	'application/vnd.ms-powerpoint': { extension: 'ppt' },
	'application/vnd.openxmlformats-officedocument.presentationml.presentation': { extension: 'pptx' },
};

/** The MIME type without its parameters, in lower case: `Audio/OGG; codecs=opus` → `audio/ogg`. */
export function baseMimeType(mimeType: string): string {
	return mimeType.split(';')[0].trim().toLowerCase();
}

function formatOf(mimeType: string): MediaFormat | undefined {
	const base = baseMimeType(mimeType);
	return Object.hasOwn(FORMATS, base) ? FORMATS[base] : undefined;
}

/** The file extension for a media type WhatsApp carries; undefined for any other. */
export function extensionFor(mimeType: string): string | undefined {
	return formatOf(mimeType)?.extension;
}

/** The extension to name a file for OpenAI's transcription; undefined when it cannot take the format. */
export function transcriptionExtensionFor(mimeType: string): string | undefined {
	return formatOf(mimeType)?.transcription;
}
