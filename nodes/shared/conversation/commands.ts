/**
 * Decides whether a customer's WHOLE message asks to reset the conversation ("start over") or to reach a
 * person ("talk to a human"), rather than merely mentioning it ("how do I reset my router?").
 *
 * The phrases below use the keyword syntax of the privacy commands (privacy/keywords.ts: `[optional]`,
 * `(a|b)`) and are matched by the same detector, so normalisation, politeness ("please", "por favor"),
 * greetings at either end and "I want to…" framing behave exactly as for STOP or "delete my data".
 * No phrase here is a privacy command, and a privacy command is never a conversation command.
 */

import {
	createPrivacyDetector,
	detectPrivacyCommand,
	DETECT_LANGUAGES,
	PRIVACY_COMMAND_TYPES,
	type CommandType,
	type Detection,
	type KeywordTable,
	type Language,
} from '../privacy/commandDetection';

export type ConversationCommand = 'reset' | 'handoff';

export interface ConversationDetection {
	command: ConversationCommand;
	language: Language;
}

// ---------------------------------------------------------------------------------------------- English
const EN_PERSON =
	'(someone|somebody|a person|a human|human|a human being|a real person|a real human|a live person|an agent|agent|a human agent|a live agent|an operator|a representative|a rep|customer service|customer support|customer care|support|staff|a staff member|a member of staff|your staff|the team|your team|a manager)';
const EN_TALK = '(talk|speak|chat)';

const EN: Record<ConversationCommand, string[]> = {
	reset: [
		'reset',
		'restart',
		'[lets] start (over|fresh|from scratch)',
		'start [a] new (conversation|chat)',
		'new (conversation|chat|topic)',
		'forget (this|our|the) (conversation|chat)',
		'clear [the|this|our] (chat|history|memory|conversation|chat history|context)',
		'(reset|restart) [the|this|our] (chat|conversation)',
	],
	handoff: [
		'(human|agent|operator|representative|person)',
		'(a human|an agent|an operator|a representative|a person|a real person|real person|a real human|human agent|a human agent|live agent|a live agent|customer service|customer support)',
		`[(let me|can i|could i|may i)] ${EN_TALK} (to|with) ${EN_PERSON}`,
		`(connect|transfer|put) me (to|with|through to) ${EN_PERSON}`,
		'(i want|i need|i would like|get me) (human|a human|agent|an agent|a person|a real person)',
	],
};

// ---------------------------------------------------------------------------------------------- Spanish
const ES_PERSON =
	'(un humano|humano|un ser humano|una persona|una persona real|alguien|alguien del equipo|un agente|un asesor|una asesora|un operador|una operadora|un representante|atencion al cliente|servicio al cliente|el personal|soporte)';

const ES: Record<ConversationCommand, string[]> = {
	reset: [
		'(reiniciar|reinicia|reinicie|resetear|reset)',
		'(empezar|empecemos|comenzar|comencemos) (de nuevo|de cero|desde cero)',
		'volver a empezar',
		'(nueva|otra) conversacion',
		'(nuevo|otro) chat',
		'(borrar|borra|borre|borren|limpiar|limpia|limpie|reiniciar|reinicia|reinicie) [la|el|esta|este|nuestra] (conversacion|chat|historial|memoria)',
		'(olvida|olvide|olviden|olvidar) (esta|nuestra|la) conversacion',
	],
	handoff: [
		'(humano|agente|asesor|operador|representante|persona)',
		'(un humano|una persona|persona real|una persona real|un agente|un asesor|atencion al cliente|servicio al cliente)',
		`[(puedo|podria)] (hablar|hablo|conversar|comunicarme) con ${ES_PERSON}`,
		`(pasame|paseme|pasenme|comunicame|comuniqueme|comuniquenme|transfiereme|transfierame|conectame|conecteme) con ${ES_PERSON}`,
		`me (pasa|pasan|comunica|comunican|transfiere|transfieren|conecta|conectan) con ${ES_PERSON}`,
		'(quiero|necesito) (humano|un humano|una persona|un agente|un asesor)',
	],
};

// ------------------------------------------------------------------------------------------- Portuguese
const PT_PERSON =
	'(um atendente|uma atendente|atendente|uma pessoa|uma pessoa real|alguem|alguem da equipe|um humano|humano|um ser humano|um agente|um operador|um representante|um consultor|uma consultora|o atendimento|atendimento|atendimento humano|o suporte|suporte|a equipe)';

const PT: Record<ConversationCommand, string[]> = {
	reset: [
		'(reiniciar|reinicia|reinicie|resetar|reset|recomecar|recomeca|recomece)',
		'(comecar|vamos comecar) (de novo|do zero)',
		'vamos recomecar',
		'(nova conversa|novo chat)',
		'(limpar|limpa|limpe|apagar|apaga|apague|reiniciar|reinicia|reinicie|recomecar|recomeca|recomece|zerar|zera|zere) [a|o|esta|essa|nossa] (conversa|chat|historico|memoria)',
		'(esquecer|esqueca|esquece) [a|esta|essa|nossa] conversa',
	],
	handoff: [
		'(humano|atendente|agente|operador|representante|pessoa)',
		'(um atendente|uma atendente|uma pessoa|um humano|pessoa real|uma pessoa real|atendimento humano)',
		`[(posso|poderia)] (falar|conversar) com ${PT_PERSON}`,
		`(me passa|me passe|me transfere|me transfira|me coloca|me coloque) (para|pra|com) ${PT_PERSON}`,
		'(quero|preciso de) (um atendente|atendente|uma pessoa|um humano|atendimento humano)',
	],
};

// ------------------------------------------------------------------------------------------- Indonesian
const ID_PERSON =
	'(manusia|manusia asli|orang|orang asli|seseorang|cs|customer service|agen|admin|operator|petugas|staf|staff|karyawan|tim|tim cs)';
const ID_TALK = '(bicara|berbicara|ngobrol|ngomong|chat|hubungi|hubungkan|sambungkan|terhubung|disambungkan)';

const ID: Record<ConversationCommand, string[]> = {
	reset: [
		'(reset|mulai ulang)',
		'(mulai|ulang|ulangi) dari (awal|nol)',
		'(chat|obrolan|percakapan) baru',
		'(reset|ulang|hapus|bersihkan) (chat|obrolan|percakapan|riwayat|riwayat chat|riwayat percakapan|memori)',
		'lupakan (percakapan|obrolan|chat) (ini|kita|tadi)',
	],
	handoff: [
		'(manusia|cs|agen|operator|petugas|customer service|orang asli|manusia asli)',
		`${ID_TALK} [(dengan|sama|ke)] ${ID_PERSON}`,
		`[saya|aku] (mau|ingin|minta|butuh|perlu) [${ID_TALK}] [(dengan|sama|ke)] ${ID_PERSON}`,
	],
};

// ---------------------------------------------------------------------------------------------- Hindi
const HI_DO = '(करो|करें|करे|करिए|करिये|कीजिए|कीजिये|कर दो|कर दें|कर दे|कर दीजिए|कर दीजिये)';
const HI_PERSON =
	'(इंसान|किसी इंसान|असली इंसान|किसी असली इंसान|मनुष्य|व्यक्ति|किसी व्यक्ति|एजेंट|किसी एजेंट|कस्टमर केयर|कस्टमर सर्विस|कस्टमर सपोर्ट|ऑपरेटर|प्रतिनिधि|स्टाफ|कर्मचारी|किसी कर्मचारी|आपकी टीम|किसी)';
const HI_TALK_DO =
	'(करनी है|करना है|करनी हैं|करना चाहता हूं|करना चाहती हूं|करवाओ|करवाइए|करवाइये|करवा दो|करवा दें|करवा दीजिए|कराओ|कराइए|करा दो|करा दीजिए|करूंगा|करूंगी)';
// Hinglish (Hindi in Latin letters)
const HL_DO = '(karo|kro|karein|karen|kariye|kijiye|kar do|kardo|kr do|karte hain)';
const HL_PERSON =
	'(insaan|insan|kisi insaan|kisi insan|asli insaan|asli insan|agent|kisi agent|customer care|customer service|customer support|operator|staff|kisi staff|kisi|kisi person|real person|kisi bande)';
// "hai" is optional: it is also an Indonesian greeting, which the detector strips from the end of a message.
const HL_TALK_DO =
	'((karni|karna|krni|krna) [hai|h]|karni thi|karao|karwao|karvao|karwa do|kara do|karwaiye|karaiye|karwa dijiye|kara dijiye|karunga|karungi)';

const HI: Record<ConversationCommand, string[]> = {
	reset: [
		'(रीसेट|रिसेट)',
		`(रीसेट|रिसेट|रीस्टार्ट) ${HI_DO}`,
		`(चैट|बातचीत) (रीसेट|रिसेट|रीस्टार्ट) ${HI_DO}`,
		`(नई बातचीत|नया चैट|नई चैट) [(शुरू|शुरु) ${HI_DO}]`,
		`नए सिरे से (शुरू|शुरु) ${HI_DO}`,
		'(यह|ये|इस|हमारी) बातचीत भूल (जाओ|जाइए|जाइये|जाएं)',
		`(चैट|बातचीत|चैट हिस्ट्री) (साफ|क्लियर) ${HI_DO}`,
		`(chat|baat|baatcheet|conversation) (reset|restart|clear) ${HL_DO}`,
		`(nayi|nai|naya) (chat|baat|baatcheet) [(shuru|start) ${HL_DO}]`,
		`naye sire se (shuru|start) ${HL_DO}`,
		'(ye|yeh|is|hamari) (baat|baatcheet|chat) (bhool|bhul) (jao|jaiye)',
	],
	handoff: [
		'(इंसान|एजेंट|असली इंसान)',
		`[मुझे|मैं] ${HI_PERSON} से बात [${HI_TALK_DO}]`,
		'[मुझे] (इंसान|कोई इंसान|एजेंट|किसी इंसान से बात) चाहिए',
		'(insaan|insan|asli insaan|asli insan)',
		`[mujhe|muje|mai|main] ${HL_PERSON} se baat [${HL_TALK_DO}]`,
		'[mujhe|muje] (insaan|insan|koi insaan|koi insan|agent) (chahiye|chaiye)',
	],
};

// -------------------------------------------------------------------------------------------- Bengali
const BN_DO = '(করুন|করো|কর|করেন|করে দিন|করে দাও|করে দেন)';
const BN_PERSON =
	'(মানুষের|কোনো মানুষের|একজন মানুষের|আসল মানুষের|এজেন্টের|একজন এজেন্টের|প্রতিনিধির|কর্মীর|কাস্টমার কেয়ারের|কাস্টমার সার্ভিসের|কাস্টমার সাপোর্টের|আপনাদের টিমের|কারো|কারও|অপারেটরের)';
const BN_TALK =
	'(বলতে চাই|বলব|বলবো|বলতে চাচ্ছি|বলতে পারি|বলাতে পারেন|বলিয়ে দিন|বলিয়ে দাও)';

const BN: Record<ConversationCommand, string[]> = {
	reset: [
		'রিসেট',
		`(রিসেট|রিস্টার্ট) ${BN_DO}`,
		`(চ্যাট|কথোপকথন) (রিসেট|রিস্টার্ট) ${BN_DO}`,
		`(নতুন চ্যাট|নতুন কথোপকথন) [শুরু ${BN_DO}]`,
		`নতুন করে শুরু ${BN_DO}`,
		'(এই|আমাদের) (কথোপকথন|চ্যাট) ভুলে (যান|যাও)',
		`(চ্যাট|কথোপকথন|চ্যাট হিস্ট্রি) (মুছে ফেলুন|মুছে দিন|মুছুন|ক্লিয়ার ${BN_DO})`,
	],
	handoff: [
		'(মানুষ|এজেন্ট|আসল মানুষ|প্রতিনিধি)',
		`[আমি] ${BN_PERSON} (সাথে|সঙ্গে) কথা [${BN_TALK}]`,
		'[আমাকে] (একজন মানুষ|মানুষ|এজেন্ট|প্রতিনিধি) (চাই|দিন|দরকার)',
	],
};

// --------------------------------------------------------------------------------------------- Arabic
const AR_PERSON =
	'(موظف|موظفة|أحد الموظفين|إنسان|انسان حقيقي|شخص|شخص حقيقي|بشر|بشري|ممثل|ممثل خدمة العملاء|خدمة العملاء|موظف خدمة العملاء|الدعم|فريق الدعم|وكيل|مندوب|أحد|حد)';
const AR_TALK =
	'(التحدث مع|التكلم مع|الحديث مع|الكلام مع|التواصل مع|أتحدث مع|أتكلم مع|أكلم|احكي مع|أحكي مع|كلمني|حولني إلى|حولني ل|وصلني ب|وصلني مع)';

const AR: Record<ConversationCommand, string[]> = {
	reset: [
		'(ريست|إعادة ضبط|إعادة تعيين)',
		'(إعادة تعيين|إعادة ضبط|إعادة تشغيل|مسح|امسح|امسحوا|احذف|حذف) (المحادثة|الدردشة|السجل|سجل المحادثة|الذاكرة)',
		'(محادثة جديدة|دردشة جديدة)',
		'(ابدأ|لنبدأ|نبدأ|بدء) (محادثة جديدة|دردشة جديدة|من الصفر|من البداية)',
		'(انس|انسى|انسوا) (المحادثة|هذه المحادثة|محادثتنا)',
	],
	handoff: [
		'(موظف|إنسان|شخص حقيقي|إنسان حقيقي|خدمة العملاء|ممثل خدمة العملاء)',
		`${AR_TALK} ${AR_PERSON}`,
		'(أريد|ابغى|ابي|بدي|عايز|عاوز|أود) (موظف|إنسان|شخص حقيقي|خدمة العملاء|ممثل خدمة العملاء)',
	],
};

/** The phrases, per language, that are a conversation command when they are the whole message. */
export const CONVERSATION_KEYWORDS: Readonly<Record<Language, Readonly<Record<ConversationCommand, readonly string[]>>>> = {
	en: EN,
	es: ES,
	pt: PT,
	id: ID,
	hi: HI,
	bn: BN,
	ar: AR,
};

/**
 * The privacy detector only knows privacy command types, so each conversation command borrows one for
 * its phrases; every other type is left empty and no privacy keyword takes part.
 */
const BORROWED_TYPE: Readonly<Record<ConversationCommand, CommandType>> = { reset: 'access', handoff: 'object' };

function keywordTable(): KeywordTable {
	const table: KeywordTable = {};
	for (const lang of DETECT_LANGUAGES) {
		const types: Partial<Record<CommandType, string[]>> = {};
		for (const type of PRIVACY_COMMAND_TYPES) types[type] = [];
		for (const command of Object.keys(BORROWED_TYPE) as ConversationCommand[]) {
			types[BORROWED_TYPE[command]] = [...CONVERSATION_KEYWORDS[lang][command]];
		}
		table[lang] = types;
	}
	return table;
}

let detector: ((text: string) => Detection) | undefined;

function commandOf(type: CommandType | undefined): ConversationCommand | undefined {
	return (Object.keys(BORROWED_TYPE) as ConversationCommand[]).find((command) => BORROWED_TYPE[command] === type);
}

/** Whether a customer's whole message is a conversation command (not "I want to reset my password"). */
export function detectConversationCommand(text: string): ConversationDetection | undefined {
	detector ??= createPrivacyDetector({ keywords: keywordTable(), keywordMode: 'replace' });
	const hit = detector(text);
	const command = hit.isCommand ? commandOf(hit.type) : undefined;
	if (!command || !hit.language) return undefined;
	if (detectPrivacyCommand(text).isCommand) return undefined;
	return { command, language: hit.language };
}
