/**
 * Wire-level helpers for the fake OpenAI API: multipart parsing, data URLs and strict base64, magic-byte sniffing of
 * images / PDFs / audio (with image dimensions for token accounting), and small sample files that pass those checks.
 * Node built-ins only.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

// ================================================================ multipart/form-data (RFC 7578)

export { multipartBoundary, parseMultipart, type MultipartPart } from './multipart';

// ================================================================ data URLs and base64

export interface DataUrl {
	mimeType: string;
	/** Parameters after the MIME type, e.g. `codecs=opus`. */
	params: string[];
	base64: boolean;
	payload: string;
}
/** `data:<mime>[;param…][;base64],<payload>`; undefined when the string is not a data URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
	if (!/^data:/i.test(url)) return undefined;
	const comma = url.indexOf(',');
	if (comma === -1) return undefined;
	const header = url.slice(5, comma).split(';').map((s) => s.trim());
	const base64 = header[header.length - 1]?.toLowerCase() === 'base64';
	if (base64) header.pop();
	return { mimeType: (header.shift() || 'text/plain').toLowerCase(), params: header, base64, payload: url.slice(comma + 1) };
}

/** Strict standard base64 (RFC 4648 §4, padded, no whitespace); undefined if invalid. */
export function decodeBase64Strict(s: string): Buffer | undefined {
	if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
	const b = Buffer.from(s, 'base64');
	return b.toString('base64') === s ? b : undefined;
}

// ================================================================ sniffing

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export interface ImageInfo {
	format: ImageFormat;
	width?: number;
	height?: number;
}

/** Detect PNG / JPEG / GIF / WebP by magic bytes and read the pixel size when present. */
export function sniffImage(b: Buffer): ImageInfo | undefined {
	if (b.length >= 24 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
		return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
	if (b.length >= 10 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1'))) return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
	if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
		let i = 2;
		while (i + 9 < b.length) {
			if (b[i] !== 0xff) {
				i++;
				continue;
			}
			const marker = b[i + 1];
			if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
				i += 2;
				continue;
			}
			const len = b.readUInt16BE(i + 2);
			if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
				return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
			i += 2 + len;
		}
		return { format: 'jpeg' };
	}
	if (b.length >= 16 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
		const kind = b.toString('latin1', 12, 16);
		if (kind === 'VP8X' && b.length >= 30) return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
		if (kind === 'VP8 ' && b.length >= 30) return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
		if (kind === 'VP8L' && b.length >= 25) {
			const bits = b.readUInt32LE(21);
			return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
		}
		return { format: 'webp' };
	}
	return undefined;
}

/** Pages of a PDF (count of `/Type /Page` objects, at least 1), or undefined if the bytes are not a PDF. */
export function sniffPdf(b: Buffer): { pages: number } | undefined {
	if (b.subarray(0, 5).toString('latin1') !== '%PDF-') return undefined;
	const pages = (b.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
	return { pages: Math.max(1, pages) };
}

export type AudioContainer = 'ogg' | 'flac' | 'wav' | 'mp3' | 'mp4' | 'webm';
/** Container of audio bytes by magic number (what a decoder would probe), or undefined. */
export function sniffAudio(b: Buffer): AudioContainer | undefined {
	if (b.length < 4) return undefined;
	const s4 = b.toString('latin1', 0, 4);
	if (s4 === 'OggS') return 'ogg';
	if (s4 === 'fLaC') return 'flac';
	if (s4 === 'RIFF' && b.length >= 12 && b.toString('latin1', 8, 12) === 'WAVE') return 'wav';
	if (b.toString('latin1', 0, 3) === 'ID3' || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0)) return 'mp3';
	if (b.length >= 8 && b.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
	if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
	return undefined;
}

/** Bytes per second assumed for compressed audio (≈16 kbit/s, a WhatsApp voice note) when estimating durations. */
export const COMPRESSED_AUDIO_BYTES_PER_SECOND = 2000;
/** Deterministic duration estimate: WAV from its header, everything else from the size. */
export function estimateAudioSeconds(b: Buffer): number {
	if (sniffAudio(b) === 'wav' && b.length >= 44) {
		const byteRate = b.readUInt32LE(28);
		if (byteRate > 0) return Math.max(0, (b.length - 44) / byteRate);
	}
	return b.length / COMPRESSED_AUDIO_BYTES_PER_SECOND;
}

/** Image input tokens, GPT-4o style: low = 85; else fit in 2048², shortest side → 768, 85 + 170 per 512-px tile. */
export function imageTokens(detail: string, width?: number, height?: number): number {
	if (detail === 'low') return 85;
	if (!width || !height) return 765;
	let w = width;
	let h = height;
	const fit = Math.min(1, 2048 / Math.max(w, h));
	w *= fit;
	h *= fit;
	const short = Math.min(w, h);
	if (short > 768) {
		w *= 768 / short;
		h *= 768 / short;
	}
	return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

// ================================================================ sample files (pass the fake's checks)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(b: Buffer): number {
	let c = 0xffffffff;
	for (const byte of b) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(td));
	return Buffer.concat([len, td, crc]);
}

/** A real, decodable PNG of the given size filled with one RGB colour. */
export function samplePng(width = 1, height = 1, rgb: [number, number, number] = [200, 30, 30]): Buffer {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour
	const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
	const raw = Buffer.concat(Array.from({ length: height }, () => row));
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', ihdr),
		pngChunk('IDAT', deflateSync(raw)),
		pngChunk('IEND', Buffer.alloc(0)),
	]);
}

/** A small, valid one-page-per-entry PDF showing the given lines of text. */
export function samplePdf(pages: string[] = ['Hello PDF']): Buffer {
	const objects: string[] = [];
	const pageIds = pages.map((_, i) => 4 + i * 2);
	objects.push('<< /Type /Catalog /Pages 2 0 R >>');
	objects.push(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`);
	objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
	pages.forEach((text, i) => {
		const stream = `BT /F1 18 Tf 72 720 Td (${text.replace(/[\\()]/g, (c) => '\\' + c)}) Tj ET`;
		objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[i] + 1} 0 R >>`);
		objects.push(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
	});
	let out = '%PDF-1.4\n';
	const offsets: number[] = [];
	objects.forEach((o, i) => {
		offsets.push(Buffer.byteLength(out, 'latin1'));
		out += `${i + 1} 0 obj\n${o}\nendobj\n`;
	});
	const xref = Buffer.byteLength(out, 'latin1');
	out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
	out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(out, 'latin1');
}

/**
 * Audio bytes with the right magic number whose estimated duration (estimateAudioSeconds) is `seconds`.
 * WAV is a real, playable 8 kHz 16-bit mono silence; other containers are header + deterministic filler (sniffable only).
 */
export function sampleAudio(format: AudioContainer = 'ogg', seconds = 3, seed = 0): Buffer {
	if (format === 'wav') {
		const data = Buffer.alloc(Math.round(seconds * 16000));
		const h = Buffer.alloc(44);
		h.write('RIFF', 0, 'latin1');
		h.writeUInt32LE(36 + data.length, 4);
		h.write('WAVEfmt ', 8, 'latin1');
		h.writeUInt32LE(16, 16);
		h.writeUInt16LE(1, 20); // PCM
		h.writeUInt16LE(1, 22); // mono
		h.writeUInt32LE(8000, 24);
		h.writeUInt32LE(16000, 28); // byte rate
		h.writeUInt16LE(2, 32);
		h.writeUInt16LE(16, 34);
		h.write('data', 36, 'latin1');
		h.writeUInt32LE(data.length, 40);
		return Buffer.concat([h, data]);
	}
	const magic: Record<Exclude<AudioContainer, 'wav'>, Buffer> = {
		ogg: Buffer.from('OggS\0\x02\0\0\0\0\0\0\0\0', 'latin1'),
		flac: Buffer.from('fLaC\0\0\0\x22', 'latin1'),
		mp3: Buffer.from('ID3\x04\0\0\0\0\0\0', 'latin1'),
		mp4: Buffer.from('\0\0\0\x20ftypM4A \0\0\0\0', 'latin1'),
		webm: Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]),
	};
	const size = Math.max(magic[format].length, Math.round(seconds * COMPRESSED_AUDIO_BYTES_PER_SECOND));
	const out = Buffer.alloc(size);
	magic[format].copy(out);
	for (let i = magic[format].length; i < size; i++) out[i] = (i * 31 + seed * 17) & 0xff;
	return out;
}

/** `data:<mime>;base64,<bytes>` */
export const dataUrl = (mimeType: string, bytes: Buffer): string => `data:${mimeType};base64,${bytes.toString('base64')}`;
