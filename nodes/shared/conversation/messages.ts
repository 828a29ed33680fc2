/**
 * What the assistant says about the conversation itself, in every supported language: after a reset,
 * when a person takes over, on first contact (the AI disclosure of EU AI Act Art. 50, with the right
 * to object of GDPR Art. 21(4)), and while the business is closed.
 *
 * The quoted words in `disclosure` are commands that really work in that language (see commands.ts and
 * the privacy keywords); STOP stays in Latin letters everywhere because it is the carrier keyword.
 */

import { resolveLanguage, RTL_LANGUAGES, type Language } from '../privacy/messages';

export interface ConversationTexts {
	reset: string;
	handoff: string;
	disclosure: string;
	away: string;
	/** Load shedding: a new person while the bot is at capacity. */
	capacity: string;
	/** The waitlist told there is room again (Notify Waitlist, inside the 24-hour window). */
	back: string;
}

export const CONVERSATION_TEXTS: Readonly<Record<Language, ConversationTexts>> = {
	en: {
		reset: "Done: I've forgotten our conversation so far. Let's start fresh. How can I help?",
		handoff: "Thanks! Someone from our team will reply here as soon as possible. Until then, I'll stay quiet.",
		disclosure:
			'You are chatting with an AI assistant for {business}. Write "human" to reach a person, "STOP" to stop the assistant, or "send me my data" to get your data.',
		away: "Thanks for your message. We're closed right now and will reply as soon as we open again.",
		capacity: "We're getting more messages than we can answer right now. You're on our list: we'll message you here as soon as we're back.",
		back: "Thanks for waiting! We're back: write to us here and we'll answer right away.",
	},
	es: {
		reset: 'Listo: he olvidado nuestra conversación hasta ahora. Empecemos de nuevo. ¿En qué puedo ayudarle?',
		handoff: 'Gracias. Una persona de nuestro equipo le responderá por aquí lo antes posible. Mientras tanto, no responderé.',
		disclosure:
			'Está chateando con el asistente de IA de {business}. Escriba «humano» para hablar con una persona, «STOP» para detener el asistente o «envíenme mis datos» para recibir sus datos.',
		away: 'Gracias por su mensaje. Ahora mismo estamos cerrados; le responderemos en cuanto volvamos a abrir.',
		capacity: 'Ahora mismo recibimos más mensajes de los que podemos atender. Le hemos apuntado: le escribiremos por aquí en cuanto volvamos a estar disponibles.',
		back: '¡Gracias por esperar! Ya estamos de vuelta: escríbanos por aquí y le responderemos enseguida.',
	},
	pt: {
		reset: 'Pronto: esqueci nossa conversa até aqui. Vamos recomeçar. Como posso ajudar?',
		handoff: 'Obrigado! Uma pessoa da nossa equipe vai responder aqui assim que possível. Enquanto isso, não vou responder.',
		disclosure:
			'Você está conversando com o assistente de IA de {business}. Escreva "atendente" para falar com uma pessoa, "STOP" para parar o assistente ou "envie meus dados" para receber seus dados.',
		away: 'Obrigado pela mensagem. No momento estamos fechados e responderemos assim que abrirmos novamente.',
		capacity: 'No momento estamos recebendo mais mensagens do que conseguimos responder. Você está na nossa lista: vamos escrever aqui assim que voltarmos.',
		back: 'Obrigado por esperar! Estamos de volta: escreva para nós aqui e responderemos em seguida.',
	},
	id: {
		reset: 'Baik, saya sudah melupakan percakapan kita sejauh ini. Mari mulai dari awal. Ada yang bisa saya bantu?',
		handoff: 'Terima kasih! Seseorang dari tim kami akan membalas di sini secepatnya. Sementara itu, saya tidak akan membalas.',
		disclosure:
			'Anda sedang mengobrol dengan asisten AI {business}. Ketik "manusia" untuk berbicara dengan petugas, "STOP" untuk menghentikan asisten, atau "kirim data saya" untuk mendapatkan data Anda.',
		away: 'Terima kasih atas pesan Anda. Saat ini kami sedang tutup dan akan membalas segera setelah buka kembali.',
		capacity: 'Saat ini kami menerima lebih banyak pesan daripada yang bisa kami jawab. Anda sudah masuk daftar kami: kami akan mengirim pesan di sini begitu kami kembali.',
		back: 'Terima kasih sudah menunggu! Kami sudah kembali: kirim pesan di sini dan kami akan segera membalas.',
	},
	hi: {
		reset: 'ठीक है, अब तक की हमारी बातचीत मैंने भुला दी है। चलिए, नए सिरे से शुरू करते हैं। बताइए, मैं क्या मदद करूं?',
		handoff: 'धन्यवाद! हमारी टीम का कोई सदस्य जल्द से जल्द यहीं आपको जवाब देगा। तब तक यह सहायक जवाब नहीं देगा।',
		disclosure:
			'आप {business} के AI सहायक से चैट कर रहे हैं। किसी व्यक्ति से बात करने के लिए "इंसान" लिखें, सहायक को रोकने के लिए "STOP" और अपना डेटा पाने के लिए "मेरा डेटा भेजो" लिखें।',
		away: 'आपके संदेश के लिए धन्यवाद। अभी हम बंद हैं; दोबारा खुलते ही हम आपको जवाब देंगे।',
		capacity: 'अभी हमारे पास जितने संदेश आ रहे हैं, उतनों का जवाब हम नहीं दे पा रहे हैं। आप हमारी सूची में हैं: वापस आते ही हम आपको यहीं संदेश भेजेंगे।',
		back: 'इंतज़ार के लिए धन्यवाद! हम वापस आ गए हैं: यहीं लिखिए, हम तुरंत जवाब देंगे।',
	},
	bn: {
		reset: 'ঠিক আছে, এতক্ষণের কথোপকথন আমি ভুলে গেছি। চলুন, নতুন করে শুরু করি। কীভাবে সাহায্য করতে পারি?',
		handoff: 'ধন্যবাদ! আমাদের টিমের একজন যত তাড়াতাড়ি সম্ভব এখানেই আপনাকে উত্তর দেবেন। ততক্ষণ আমি কোনো উত্তর দেব না।',
		disclosure:
			'আপনি {business} পরিচালিত একটি AI সহকারীর সঙ্গে চ্যাট করছেন। কোনো মানুষের সঙ্গে কথা বলতে "মানুষ" লিখুন, সহকারী বন্ধ করতে "STOP" এবং আপনার তথ্য পেতে "আমার তথ্য পাঠান" লিখুন।',
		away: 'আপনার বার্তার জন্য ধন্যবাদ। এই মুহূর্তে আমরা বন্ধ আছি; আবার খোলার পর যত দ্রুত সম্ভব উত্তর দেব।',
		capacity: 'এই মুহূর্তে আমরা যত বার্তার উত্তর দিতে পারি, তার চেয়ে বেশি বার্তা আসছে। আপনি আমাদের তালিকায় আছেন: ফিরে এলেই আমরা এখানে আপনাকে বার্তা পাঠাব।',
		back: 'অপেক্ষা করার জন্য ধন্যবাদ! আমরা ফিরে এসেছি: এখানে লিখুন, আমরা সঙ্গে সঙ্গে উত্তর দেব।',
	},
	ar: {
		reset: 'تم، لقد نسيت محادثتنا حتى الآن. لنبدأ من جديد، كيف يمكنني مساعدتك؟',
		handoff: 'شكرًا لك. سيرد عليك أحد أعضاء فريقنا هنا في أقرب وقت ممكن، وحتى ذلك الحين لن أرد.',
		disclosure:
			'أنت تتحدث مع مساعد الذكاء الاصطناعي لدى {business}. اكتب «موظف» للتحدث مع شخص، و«STOP» لإيقاف المساعد، و«أرسل لي بياناتي» للحصول على بياناتك.',
		away: 'شكرًا لرسالتك. نحن مغلقون الآن، وسنرد عليك فور عودتنا إلى العمل.',
		capacity: 'نتلقى الآن رسائل أكثر مما نستطيع الرد عليه. لقد أضفناك إلى قائمتنا، وسنراسلك هنا فور عودتنا.',
		back: 'شكرًا لانتظارك! لقد عدنا: اكتب لنا هنا وسنرد عليك فورًا.',
	},
};

/** Said instead of the business name when none is configured; each fits its language's sentence. */
const NEUTRAL_BUSINESS: Readonly<Record<Language, string>> = {
	en: 'this business',
	es: 'esta empresa',
	pt: 'esta empresa',
	id: 'kami',
	hi: 'इस कारोबार',
	bn: 'এই প্রতিষ্ঠান',
	ar: 'هذه الشركة',
};

const FSI = '\u2068';
const PDI = '\u2069';

/** The text in `language` (English when undefined), `{business}` replaced by the business name (or a neutral word when empty). */
export function conversationText(
	key: keyof ConversationTexts,
	language: Language | undefined,
	params?: { business?: string },
): string {
	const lang = resolveLanguage(language);
	const name = typeof params?.business === 'string' ? params.business.trim() : '';
	const business = name ? (RTL_LANGUAGES.has(lang) ? `${FSI}${name}${PDI}` : name) : NEUTRAL_BUSINESS[lang];
	const texts = CONVERSATION_TEXTS[lang];
	const template = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : `{${String(key)}}`;
	return template.replace(/\{business\}/g, () => business);
}
