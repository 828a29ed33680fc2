// WhatsAuto sandbox page: the customer's phone. Plain browser JavaScript, no build step.
'use strict';

const $ = (id) => document.getElementById(id);
const messages = $('messages');
const text = $('text');
const fileInput = $('file');
const typingRow = $('typing');
const presence = $('presence');
const errorBox = $('error');
const recordButton = $('record');

let info = null;
let attachment = null; // { blob, name, type, kind, recorded }
const bubbles = new Map(); // customer message id -> ticks element
const businessTexts = new Map(); // business message id -> its text (quoted by a button reply)
const replyButtons = new Map(); // business message id -> its reply button elements
let typingTimer = null;

// ---------------------------------------------------------------- rendering helpers

function el(tag, attrs = {}, ...children) {
	const node = document.createElement(tag);
	for (const [key, value] of Object.entries(attrs)) {
		if (value === undefined || value === null || value === false) continue;
		if (key === 'class') node.className = value;
		else if (key === 'dataset') Object.assign(node.dataset, value);
		else node.setAttribute(key, value);
	}
	for (const child of children) if (child !== undefined && child !== null) node.append(child);
	return node;
}

function escapeHtml(s) {
	return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** WhatsApp formatting: *bold*, _italic_, ~strike~, ```monospace``` (markers only at word edges). */
function formatted(s) {
	let html = escapeHtml(s);
	html = html.replace(/```([\s\S]+?)```/g, '<code>$1</code>');
	const edge = (marker, tag) => {
		const m = marker.replace(/[*~]/g, '\\$&');
		const re = new RegExp(`(^|[\\s(“"'])${m}(\\S(?:[^${m}\\n]*?\\S)?)${m}(?=$|[\\s.,!?;:)”"'])`, 'g');
		html = html.replace(re, `$1<${tag}>$2</${tag}>`);
	};
	edge('*', 'strong');
	edge('_', 'em');
	edge('~', 's');
	const span = document.createElement('span');
	span.innerHTML = html;
	return span;
}

function time(iso) {
	return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function scrollDown() {
	messages.scrollTop = messages.scrollHeight;
}

function sizeLabel(bytes) {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function showError(message) {
	errorBox.textContent = message;
	errorBox.hidden = !message;
}

function setTyping(on) {
	clearTimeout(typingTimer);
	typingRow.hidden = !on;
	presence.textContent = on ? 'typing…' : 'business account';
	if (on) typingTimer = setTimeout(() => setTyping(false), 25000); // WhatsApp shows it for 25 s at most
	scrollDown();
}

const TICK_TEXT = { sending: '🕓', delivered: '✓✓', read: '✓✓', failed: '!' };
const TICK_TITLE = {
	sending: 'sending to n8n…',
	delivered: 'delivered: n8n accepted the webhook',
	read: 'read: the workflow marked it as read',
	failed: 'not delivered',
};
function setTicks(id, state) {
	const ticks = bubbles.get(id);
	if (!ticks) return;
	if (ticks.dataset.state === 'read' && state !== 'failed') return;
	ticks.dataset.state = state;
	ticks.textContent = TICK_TEXT[state];
	ticks.title = TICK_TITLE[state];
}

/** Time and ticks of a message the sandbox delivers to n8n as a webhook; the ticks follow its delivery. */
function deliveryMeta(e) {
	const ticks = el('span', { class: 'ticks', 'data-testid': 'ticks' });
	bubbles.set(e.id, ticks);
	setTicks(e.id, 'sending');
	return el('span', { class: 'meta' }, time(e.at), ticks);
}

// ---------------------------------------------------------------- events from the server

function renderCustomer(e) {
	const bubble = el('div', { class: 'bubble out', dataset: { id: e.id, kind: e.kind }, 'data-testid': 'customer-message' });
	if (e.kind === 'button' && e.replyTo) {
		// WhatsApp shows a tapped reply button as a reply quoting the message it was under
		const quoted = businessTexts.get(e.replyTo) || '';
		bubble.append(el('div', { class: 'quote' }, quoted.length > 90 ? `${quoted.slice(0, 90)}…` : quoted));
		markTapped(e.replyTo, e.buttonId);
	}
	if (e.kind === 'image' && e.mediaId) bubble.append(el('img', { src: `/media/${e.mediaId}`, alt: 'photo you sent' }));
	if (e.kind === 'audio' && e.mediaId) {
		bubble.append(el('div', {}, '🎤 Voice note'));
		bubble.append(el('audio', { src: `/media/${e.mediaId}`, controls: 'controls', preload: 'none' }));
		if (e.transcript) bubble.append(el('div', { class: 'note' }, `offline transcription will say: “${e.transcript}”`));
	}
	if (e.kind === 'document' && e.mediaId) {
		bubble.append(
			el('a', { class: 'doc', href: `/media/${e.mediaId}?download`, download: e.filename || 'document' },
				el('span', { class: 'doc-icon' }, '📄'),
				el('span', {}, el('div', { class: 'doc-name' }, e.filename || 'document'), el('div', { class: 'doc-sub' }, e.mimeType || ''))),
		);
	}
	if (e.text) bubble.append(formatted(e.text));
	bubble.append(deliveryMeta(e));
	messages.append(el('div', { class: 'bubble-row out' }, bubble));
}

function renderBusiness(e) {
	const bubble = el('div', {
		class: `bubble in${e.offline ? ' offline' : ''}`,
		dataset: { id: e.id, kind: e.kind, offline: String(e.offline) },
		'data-testid': 'business-message',
	});
	if (e.offline) bubble.append(el('div', { class: 'badge', title: 'Canned reply: no OpenAI key is set' }, 'offline demo responder'), el('br'));
	if (e.kind === 'document' && e.mediaId) {
		bubble.append(
			el('a', { class: 'doc', href: `/media/${e.mediaId}?download`, download: e.filename || 'document', 'data-testid': 'document-link' },
				el('span', { class: 'doc-icon' }, '📄'),
				el('span', {}, el('div', { class: 'doc-name' }, e.filename || 'document'), el('div', { class: 'doc-sub' }, `${e.mimeType || 'file'} · download`))),
		);
	} else if (e.kind === 'image' && e.mediaId) {
		bubble.append(el('img', { src: `/media/${e.mediaId}`, alt: 'photo from the business' }));
	} else if (e.kind === 'audio' && e.mediaId) {
		bubble.append(el('audio', { src: `/media/${e.mediaId}`, controls: 'controls', preload: 'none' }));
	}
	const body = e.text ?? e.caption;
	if (body) bubble.append(formatted(body));
	else if (!e.mediaId) bubble.append(el('span', { class: 'note' }, `[${e.kind} message]`));
	if (e.footer) bubble.append(el('div', { class: 'footer-note' }, e.footer));
	if (!e.inWindow) bubble.append(el('div', { class: 'failed-note' }, 'Sent outside the 24-hour window: Meta would not deliver this.'));
	bubble.append(el('span', { class: 'meta' }, time(e.at)));
	if (body) businessTexts.set(e.id, body);
	const buttons = Array.isArray(e.buttons) ? e.buttons : [];
	if (buttons.length) {
		// reply buttons under the message, as WhatsApp shows them; a tap sends a button reply (id + title)
		const elements = buttons.map((button) =>
			el('button', { type: 'button', class: 'reply-button', dataset: { id: button.id }, 'data-testid': 'reply-button' }, `↩ ${button.title}`),
		);
		for (const element of elements) element.addEventListener('click', () => tapButton(e.id, element, elements));
		replyButtons.set(e.id, elements);
		const column = el('div', { class: 'with-buttons' }, bubble, el('div', { class: 'reply-buttons', role: 'group', 'aria-label': 'Reply buttons' }, ...elements));
		messages.append(el('div', { class: 'bubble-row in' }, column));
	} else {
		messages.append(el('div', { class: 'bubble-row in' }, bubble));
	}
	setTyping(false);
}

/** What a person at the business sent from the WhatsApp Business app; its ticks are its echo's delivery to n8n. */
function renderAgent(e) {
	const bubble = el('div', { class: 'bubble in agent', dataset: { id: e.id }, 'data-testid': 'agent-message' });
	bubble.append(el('div', { class: 'badge agent', title: 'A person at the business, from the WhatsApp Business app' }, '👤 Agent'), el('br'));
	bubble.append(formatted(e.text));
	bubble.append(deliveryMeta(e));
	messages.append(el('div', { class: 'bubble-row in' }, bubble));
}

/** A note from the sandbox itself, centred in the chat (not a message anyone sent). */
function renderSystemNote(text, testid) {
	messages.append(el('div', { class: 'bubble-row system' }, el('div', { class: 'system-note', role: 'status', 'data-testid': testid }, text)));
}

/** A tap on a reply button: the server sends the button reply to n8n; the buttons wait meanwhile. */
async function tapButton(messageId, tapped, all) {
	if (tapped.disabled) return;
	for (const button of all) button.disabled = true;
	showError('');
	try {
		await post({ kind: 'button', messageId, buttonId: tapped.dataset.id });
	} catch (error) {
		for (const button of all) button.disabled = false;
		showError(error.message);
	}
}

/** A message's buttons once one was tapped: used up, the tapped one marked. */
function markTapped(messageId, buttonId) {
	for (const button of replyButtons.get(messageId) || []) {
		button.disabled = true;
		if (button.dataset.id === buttonId) button.classList.add('chosen');
	}
}

function onEvent(e) {
	switch (e.type) {
		case 'customer':
			renderCustomer(e);
			break;
		case 'delivery':
			setTicks(e.id, e.ok ? 'delivered' : 'failed');
			if (!e.ok) {
				const ticks = bubbles.get(e.id);
				ticks?.closest('.bubble')?.append(el('div', { class: 'failed-note' }, `n8n answered ${e.status || 'nothing'}${e.error ? ` (${e.error})` : ''}`));
			}
			break;
		case 'read':
			setTicks(e.id, 'read');
			break;
		case 'typing':
			setTyping(true);
			break;
		case 'business':
			renderBusiness(e);
			break;
		case 'agent':
			renderAgent(e);
			break;
		case 'resume':
			renderSystemNote(e.resumed ? '▶ AI resumed' : 'The AI was not paused', 'resume-note');
			break;
	}
	scrollDown();
}

function connect() {
	const source = new EventSource('/api/events');
	const connection = $('connection');
	source.onopen = () => {
		// the server replays the whole conversation on every (re)connection
		for (const row of messages.querySelectorAll('.bubble-row')) row.remove();
		bubbles.clear();
		businessTexts.clear();
		replyButtons.clear();
		connection.classList.add('ok');
		connection.title = 'connected';
	};
	source.onmessage = (message) => onEvent(JSON.parse(message.data));
	source.onerror = () => {
		connection.classList.remove('ok');
		connection.title = 'reconnecting…';
	};
}

// ---------------------------------------------------------------- sending

const AUDIO_EXT = { ogg: 'audio/ogg', opus: 'audio/ogg', oga: 'audio/ogg', mp3: 'audio/mpeg', m4a: 'audio/mp4', aac: 'audio/aac', amr: 'audio/amr', webm: 'audio/webm' };
const DOC_EXT = { pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', md: 'text/markdown', json: 'application/json' };

function kindOf(name, type) {
	const ext = (name.split('.').pop() || '').toLowerCase();
	if (type === 'image/jpeg' || type === 'image/png') return { kind: 'image', type };
	if (type.startsWith('audio/')) return { kind: 'audio', type };
	if (AUDIO_EXT[ext]) return { kind: 'audio', type: AUDIO_EXT[ext] };
	return { kind: 'document', type: type || DOC_EXT[ext] || 'application/octet-stream' };
}

function setAttachment(next) {
	attachment = next;
	$('attachment').hidden = !next;
	if (!next) {
		text.placeholder = 'Message';
		return;
	}
	const icon = { image: '🖼️ Photo', audio: '🎤 Voice note', document: '📄 Document' }[next.kind];
	$('attachment-label').textContent = `${icon}: ${next.name} (${sizeLabel(next.blob.size)})`;
	if (next.kind === 'audio') {
		text.placeholder = info?.ai.mode === 'offline' ? 'What does the voice note say? (offline transcription)' : 'Optional message to send after it';
	} else {
		text.placeholder = 'Add a caption';
	}
	text.focus();
}

function base64(blob) {
	return new Promise((resolve, reject) => {
		const reader = new FileReader();
		reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
		reader.onerror = () => reject(reader.error);
		reader.readAsDataURL(blob);
	});
}

async function post(body, path = '/api/send') {
	const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
	const answer = await res.json().catch(() => ({}));
	if (!res.ok) throw new Error(answer.error || `HTTP ${res.status}`);
	return answer;
}

let sending = false;
async function send() {
	if (sending) return;
	const typed = text.value.trim();
	if (!attachment && !typed) return;
	sending = true;
	$('send').disabled = true;
	showError('');
	try {
		if (attachment) {
			const { blob, name, type, kind } = attachment;
			const data = await base64(blob);
			if (kind === 'audio') {
				const offline = info?.ai.mode === 'offline';
				await post({ kind, filename: name, mimeType: type, data, transcript: offline ? typed : undefined });
				if (!offline && typed) await post({ kind: 'text', text: typed });
			} else {
				await post({ kind, filename: name, mimeType: type, data, text: typed });
			}
			setAttachment(null);
			fileInput.value = '';
		} else {
			await post({ kind: 'text', text: typed });
		}
		text.value = '';
	} catch (error) {
		showError(error.message);
	} finally {
		sending = false;
		$('send').disabled = false;
		text.focus();
	}
}

$('composer').addEventListener('submit', (event) => {
	event.preventDefault();
	send();
});
fileInput.addEventListener('change', () => {
	const file = fileInput.files && fileInput.files[0];
	if (!file) return;
	const { kind, type } = kindOf(file.name, file.type);
	setAttachment({ blob: file, name: file.name, type, kind });
});
$('attachment-clear').addEventListener('click', () => {
	setAttachment(null);
	fileInput.value = '';
});
for (const button of document.querySelectorAll('.suggest')) {
	button.addEventListener('click', () => {
		text.value = button.dataset.text;
		send();
	});
}
const agentText = $('agent-text');
$('agent').addEventListener('submit', async (event) => {
	event.preventDefault();
	const typed = agentText.value.trim();
	if (!typed) return;
	const button = $('agent-send');
	button.disabled = true;
	showError('');
	try {
		await post({ text: typed }, '/api/agent');
		agentText.value = '';
	} catch (error) {
		showError(error.message);
	} finally {
		button.disabled = false;
		agentText.focus();
	}
});
// Resume AI: the note comes back as an event (every open page shows it, a reload too)
$('resume').addEventListener('click', async () => {
	const button = $('resume');
	button.disabled = true;
	showError('');
	try {
		await post({}, '/api/resume');
	} catch (error) {
		showError(error.message);
	} finally {
		button.disabled = false;
	}
});
for (const button of document.querySelectorAll('.command')) {
	button.addEventListener('click', async () => {
		showError('');
		try {
			await post({ kind: 'text', text: button.dataset.command });
		} catch (error) {
			showError(error.message);
		}
	});
}

// ---------------------------------------------------------------- voice notes (MediaRecorder)

let recorder = null;
recordButton.addEventListener('click', async () => {
	if (recorder) {
		recorder.stop();
		return;
	}
	if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
		showError('This browser cannot record audio here; attach an audio file instead.');
		return;
	}
	try {
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
		const type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/mp4'].find((t) => MediaRecorder.isTypeSupported(t)) || '';
		recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
		const chunks = [];
		recorder.ondataavailable = (event) => chunks.push(event.data);
		recorder.onstop = () => {
			stream.getTracks().forEach((track) => track.stop());
			const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
			const blob = new Blob(chunks, { type: mime });
			recorder = null;
			recordButton.classList.remove('recording');
			recordButton.textContent = '🎤';
			const ext = mime.includes('mp4') ? 'm4a' : mime.includes('ogg') ? 'ogg' : 'webm';
			setAttachment({ blob, name: `voice-note.${ext}`, type: mime, kind: 'audio', recorded: true });
		};
		recorder.start();
		recordButton.classList.add('recording');
		recordButton.textContent = '■';
		showError('');
	} catch (error) {
		recorder = null;
		showError(`Cannot record: ${error.message}. Attach an audio file instead.`);
	}
});

// ---------------------------------------------------------------- start

async function start() {
	info = await (await fetch('/api/info')).json();
	$('business-name').textContent = info.business.name;
	$('customer-name').textContent = `${info.customer.name}, ${info.customerNumber}`;
	$('customer-number-hint').textContent = info.customerNumber;
	$('editor-link').href = info.links.editorUrl;
	$('form-link').href = info.links.formUrl;
	const mode = $('ai-mode');
	mode.dataset.mode = info.ai.mode;
	mode.querySelector('.ai-mode-title').textContent = info.ai.mode === 'offline' ? 'Replies come from the OFFLINE DEMO RESPONDER' : 'Replies come from REAL OPENAI';
	mode.querySelector('.ai-mode-text').textContent = info.ai.description;
	connect();
}

start().catch((error) => showError(`Cannot reach the sandbox: ${error.message}`));
