/** multipart/form-data (RFC 7578) as the fakes need it: the boundary of a Content-Type and the parts of a body. */

export interface MultipartPart {
	name: string;
	filename?: string;
	contentType?: string;
	data: Buffer;
}

/** Boundary of a multipart Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
	if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
	return /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)?.slice(1).find(Boolean);
}

/** undici/browsers escape `"`, CR and LF in names as %22, %0D, %0A; `filename*=UTF-8''…` is RFC 5987. */
function dispositionParam(disposition: string, key: string): string | undefined {
	const star = new RegExp(`\\b${key}\\*=(?:UTF-8|utf-8)''([^;\\r\\n]*)`).exec(disposition)?.[1];
	if (star !== undefined) {
		try {
			return decodeURIComponent(star);
		} catch {
			return star;
		}
	}
	const plain = new RegExp(`\\b${key}="((?:[^"\\\\]|\\\\.)*)"`).exec(disposition)?.[1];
	return plain?.replace(/\\(.)/g, '$1').replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

/** Fields and file parts (with filename / Content-Type) of a multipart body; malformed parts are skipped. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
	const delim = Buffer.from(`--${boundary}`);
	const parts: MultipartPart[] = [];
	let pos = body.indexOf(delim);
	while (pos !== -1) {
		let start = pos + delim.length;
		if (body.subarray(start, start + 2).toString() === '--') break;
		if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
		const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), start);
		if (next === -1) break;
		const part = body.subarray(start, next);
		const headerEnd = part.indexOf('\r\n\r\n');
		if (headerEnd !== -1) {
			const head = part.subarray(0, headerEnd).toString('utf8');
			const disposition = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? '';
			const name = dispositionParam(disposition, 'name');
			if (name !== undefined)
				parts.push({
					name,
					filename: dispositionParam(disposition, 'filename'),
					contentType: /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim(),
					data: part.subarray(headerEnd + 4),
				});
		}
		pos = next + 2;
	}
	return parts;
}
