/**
 * The WhatsApp texts that answer privacy requests (access, correction, erasure, objection, resume,
 * status) and web-form verification, in every supported language.
 *
 * Templates use `{name}` placeholders. A placeholder without a value stays visible as `{name}` (never a
 * crash, never a silent blank), except `{authority}`, which falls back to "your local data protection
 * authority" in the person's language: the right to complain must always be stated in words.
 * STOP and START stay in Latin letters in every language because they are the commands people send.
 */

export type Language = 'en' | 'bn' | 'es' | 'pt' | 'hi' | 'ar' | 'id';

export const LANGUAGES: readonly Language[] = ['en', 'bn', 'es', 'pt', 'hi', 'ar', 'id'];

/** Languages written right to left; substituted values are wrapped in Unicode bidi isolates. */
export const RTL_LANGUAGES: ReadonlySet<string> = new Set(['ar']);

export type MessageKey =
	| 'access_done'
	| 'access_summary'
	| 'correct_done'
	| 'correct_nothing'
	| 'delete_done'
	| 'delete_partial'
	| 'object_done'
	| 'resume_done'
	| 'status'
	| 'denied'
	| 'failed'
	| 'verification_code'
	| 'verify_failed'
	| 'verify_expired'
	| 'received'
	| 'erase_confirm'
	| 'erase_cancelled'
	| 'erase_expired'
	| 'object_marketing_done'
	| 'resume_marketing_done';

/** The parameters each message takes; every language's template uses exactly these. */
export const MESSAGE_PARAMS: Readonly<Record<MessageKey, readonly string[]>> = {
	access_done: ['requestId'],
	access_summary: ['requestId', 'summary'],
	correct_done: ['requestId', 'fields'],
	correct_nothing: ['requestId'],
	delete_done: ['requestId'],
	delete_partial: ['requestId', 'kept', 'authority'],
	object_done: ['requestId'],
	resume_done: ['requestId'],
	status: ['requestId', 'state', 'dueDate'],
	denied: ['requestId', 'reason', 'authority'],
	failed: ['requestId', 'business'],
	verification_code: ['business', 'code', 'minutes'],
	verify_failed: [],
	verify_expired: [],
	received: ['requestId', 'dueDate'],
	erase_confirm: ['requestId', 'minutes'],
	erase_cancelled: ['requestId'],
	erase_expired: ['requestId', 'minutes'],
	object_marketing_done: ['requestId'],
	resume_marketing_done: ['requestId'],
};

/**
 * The two reply buttons under `erase_confirm` (at most 20 characters each, as WhatsApp requires). The
 * confirmation text names the first one.
 */
export const ERASE_BUTTONS: Readonly<Record<Language, Readonly<{ confirm: string; cancel: string }>>> = {
	en: { confirm: 'Delete all my data', cancel: 'Cancel' },
	bn: { confirm: 'আমার সব তথ্য মুছুন', cancel: 'বাতিল' },
	es: { confirm: 'Borrar mis datos', cancel: 'Cancelar' },
	pt: { confirm: 'Apagar meus dados', cancel: 'Cancelar' },
	hi: { confirm: 'सारा डेटा मिटाएं', cancel: 'रद्द करें' },
	ar: { confirm: 'احذف كل بياناتي', cancel: 'إلغاء' },
	id: { confirm: 'Hapus semua data', cancel: 'Batal' },
};

/** Said instead of a named supervisory authority when the operator has not configured one. */
export const DEFAULT_AUTHORITY: Readonly<Record<Language, string>> = {
	en: 'your local data protection authority',
	bn: 'আপনার স্থানীয় তথ্য সুরক্ষা কর্তৃপক্ষ',
	es: 'su autoridad local de protección de datos',
	pt: 'a autoridade de proteção de dados local',
	hi: 'अपने स्थानीय डेटा संरक्षण प्राधिकरण',
	ar: 'سلطة حماية البيانات المحلية',
	id: 'otoritas perlindungan data setempat',
};

export const MESSAGES: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = {
	en: {
		access_done:
			"Your access request {requestId} is complete. We've sent you a copy of the personal data we hold about you, including how we use it, who we share it with and how long we keep it.",
		access_summary: 'Summary of the data we hold about you (request {requestId}):\n{summary}',
		correct_done: 'Your correction request {requestId} is complete. We updated: {fields}.',
		correct_nothing:
			"Your correction request {requestId} is closed: we didn't find anything to change. If something we hold about you is wrong, send us the detail and the correct value.",
		delete_done:
			"Your erasure request {requestId} is complete: we've deleted your personal data. The law requires us to keep a minimal record of this request itself. If you asked us to STOP, we also keep a suppression entry so that we keep respecting it.",
		delete_partial:
			'Your erasure request {requestId} is complete, but we had to keep some data: {kept}. Everything else has been deleted. If you disagree, you have the right to complain to {authority}.',
		object_done:
			"Done (request {requestId}): we've stopped processing your messages with AI and won't send you marketing. If you change your mind, send START.",
		resume_done:
			'Done (request {requestId}): our AI assistant will reply to your messages again. Send STOP at any time to opt out again.',
		status: "Request {requestId} — status: {state}. We'll reply by {dueDate} at the latest.",
		denied:
			"We can't fulfil your request {requestId}: {reason}. If you disagree, you have the right to complain to {authority}.",
		failed:
			'Sorry, a technical problem stopped us from completing your request {requestId}. Please try again later or contact {business} directly.',
		verification_code:
			"Your {business} verification code is {code}. It expires in {minutes} minutes. Don't share it with anyone. If you didn't ask for it, ignore this message.",
		verify_failed: "That code doesn't match. Please check it and try again, or ask for a new code.",
		verify_expired: 'That code has expired. Please ask for a new one from the form.',
		received: "We've received your request {requestId}. We'll reply here by {dueDate} at the latest.",
		erase_confirm:
			'Do you want us to delete all the personal data we hold about you (request {requestId})? This cannot be undone. To confirm, tap "Delete all my data" within {minutes} minutes.',
		erase_cancelled: "OK, we haven't deleted anything: your erasure request {requestId} is cancelled.",
		erase_expired:
			'Your erasure request {requestId} was not confirmed within {minutes} minutes, so nothing was deleted. If you still want us to delete your data, send "delete my data" again.',
		object_marketing_done:
			"Done (request {requestId}): we won't send you marketing messages any more. Our assistant still answers your questions; send STOP to stop that too.",
		resume_marketing_done: "Done (request {requestId}): you'll receive our marketing messages again. Send STOP at any time to opt out.",
	},
	bn: {
		access_done:
			'আপনার তথ্য জানার অনুরোধ {requestId} সম্পন্ন হয়েছে। আপনার সম্পর্কে আমাদের কাছে যে ব্যক্তিগত তথ্য আছে, তার একটি কপি আমরা আপনাকে পাঠিয়েছি। এতে আরও আছে আমরা তথ্যগুলো কীভাবে ব্যবহার করি, কার সঙ্গে শেয়ার করি এবং কতদিন রাখি।',
		access_summary: 'আপনার সম্পর্কে আমাদের কাছে থাকা তথ্যের সারসংক্ষেপ (অনুরোধ {requestId}):\n{summary}',
		correct_done: 'আপনার সংশোধনের অনুরোধ {requestId} সম্পন্ন হয়েছে। আমরা হালনাগাদ করেছি: {fields}।',
		correct_nothing:
			'আপনার সংশোধনের অনুরোধ {requestId} বন্ধ করা হয়েছে: পরিবর্তন করার মতো কিছু আমরা পাইনি। আপনার সম্পর্কে আমাদের কাছে থাকা কোনো তথ্য ভুল হলে, কোন তথ্যটি ভুল এবং সঠিক তথ্য কী, তা আমাদের পাঠান।',
		delete_done:
			'আপনার তথ্য মুছে ফেলার অনুরোধ {requestId} সম্পন্ন হয়েছে: আমরা আপনার ব্যক্তিগত তথ্য মুছে ফেলেছি। আইন অনুযায়ী এই অনুরোধের একটি ন্যূনতম রেকর্ড আমাদের রাখতে হয়। আপনি STOP চেয়ে থাকলে, তা যেন মানা হতে থাকে সেজন্য আমরা একটি ব্লক-তালিকার এন্ট্রিও রাখি।',
		delete_partial:
			'আপনার তথ্য মুছে ফেলার অনুরোধ {requestId} সম্পন্ন হয়েছে, তবে কিছু তথ্য আমাদের রাখতে হয়েছে: {kept}। বাকি সব মুছে ফেলা হয়েছে। আপনি একমত না হলে, {authority} বরাবর অভিযোগ করার অধিকার আপনার আছে।',
		object_done:
			'সম্পন্ন (অনুরোধ {requestId}): আমরা AI দিয়ে আপনার বার্তা প্রক্রিয়াকরণ বন্ধ করেছি এবং আপনাকে আর মার্কেটিং বার্তা পাঠাব না। মত বদলালে START পাঠান।',
		resume_done:
			'সম্পন্ন (অনুরোধ {requestId}): আমাদের AI সহকারী আবার আপনার বার্তার উত্তর দেবে। আবার বন্ধ করতে যেকোনো সময় STOP পাঠান।',
		status: 'অনুরোধ {requestId} — অবস্থা: {state}। আমরা {dueDate}-এর মধ্যে উত্তর দেব।',
		denied:
			'আমরা আপনার অনুরোধ {requestId} পূরণ করতে পারছি না: {reason}। আপনি একমত না হলে, {authority} বরাবর অভিযোগ করার অধিকার আপনার আছে।',
		failed:
			'দুঃখিত, একটি প্রযুক্তিগত সমস্যার কারণে আমরা আপনার অনুরোধ {requestId} সম্পন্ন করতে পারিনি। অনুগ্রহ করে পরে আবার চেষ্টা করুন অথবা সরাসরি {business}-এর সঙ্গে যোগাযোগ করুন।',
		verification_code:
			'আপনার {business} যাচাইকরণ কোড হলো {code}। এটির মেয়াদ {minutes} মিনিটের মধ্যে শেষ হবে। কারও সঙ্গে এটি শেয়ার করবেন না। আপনি এটি না চেয়ে থাকলে, এই বার্তাটি উপেক্ষা করুন।',
		verify_failed: 'কোডটি মেলেনি। অনুগ্রহ করে যাচাই করে আবার চেষ্টা করুন, অথবা নতুন কোড চেয়ে নিন।',
		verify_expired: 'কোডটির মেয়াদ শেষ হয়ে গেছে। অনুগ্রহ করে ফর্ম থেকে নতুন কোড চেয়ে নিন।',
		received: 'আমরা আপনার অনুরোধ {requestId} পেয়েছি। {dueDate}-এর মধ্যে আমরা এখানেই আপনাকে উত্তর দেব।',
		erase_confirm:
			'আপনার সম্পর্কে আমাদের কাছে থাকা সব ব্যক্তিগত তথ্য কি আমরা মুছে ফেলব (অনুরোধ {requestId})? এটি আর ফেরানো যাবে না। নিশ্চিত করতে {minutes} মিনিটের মধ্যে "আমার সব তথ্য মুছুন" চাপুন।',
		erase_cancelled: 'ঠিক আছে, আমরা কিছুই মুছিনি: আপনার তথ্য মুছে ফেলার অনুরোধ {requestId} বাতিল করা হয়েছে।',
		erase_expired:
			'আপনার তথ্য মুছে ফেলার অনুরোধ {requestId} {minutes} মিনিটের মধ্যে নিশ্চিত করা হয়নি, তাই কিছুই মোছা হয়নি। আপনি এখনো তথ্য মুছে ফেলতে চাইলে আবার "আমার তথ্য মুছে ফেলুন" পাঠান।',
		object_marketing_done:
			'সম্পন্ন (অনুরোধ {requestId}): আমরা আপনাকে আর মার্কেটিং বার্তা পাঠাব না। আমাদের সহকারী আপনার প্রশ্নের উত্তর দিতে থাকবে; সেটিও বন্ধ করতে STOP পাঠান।',
		resume_marketing_done: 'সম্পন্ন (অনুরোধ {requestId}): আপনি আবার আমাদের মার্কেটিং বার্তা পাবেন। আবার বন্ধ করতে যেকোনো সময় STOP পাঠান।',
	},
	es: {
		access_done:
			'Su solicitud de acceso {requestId} se ha completado. Le hemos enviado una copia de los datos personales que tenemos sobre usted, con cómo los usamos, con quién los compartimos y cuánto tiempo los conservamos.',
		access_summary: 'Resumen de los datos que tenemos sobre usted (solicitud {requestId}):\n{summary}',
		correct_done: 'Su solicitud de rectificación {requestId} se ha completado. Hemos actualizado: {fields}.',
		correct_nothing:
			'Su solicitud de rectificación {requestId} se ha cerrado: no encontramos nada que cambiar. Si algún dato que tenemos sobre usted es incorrecto, indíquenos cuál es y el valor correcto.',
		delete_done:
			'Su solicitud de supresión {requestId} se ha completado: hemos borrado sus datos personales. La ley nos obliga a conservar un registro mínimo de la propia solicitud. Si nos pidió STOP, también guardamos una entrada de exclusión para seguir respetándolo.',
		delete_partial:
			'Su solicitud de supresión {requestId} se ha completado, pero tuvimos que conservar algunos datos: {kept}. Todo lo demás se ha borrado. Si no está de acuerdo, tiene derecho a presentar una reclamación ante {authority}.',
		object_done:
			'Hecho (solicitud {requestId}): hemos dejado de procesar sus mensajes con IA y no le enviaremos publicidad. Si cambia de opinión, envíe START.',
		resume_done:
			'Hecho (solicitud {requestId}): nuestro asistente de IA volverá a responder a sus mensajes. Envíe STOP en cualquier momento para volver a darse de baja.',
		status: 'Solicitud {requestId} — estado: {state}. Le responderemos a más tardar el {dueDate}.',
		denied:
			'No podemos atender su solicitud {requestId}: {reason}. Si no está de acuerdo, tiene derecho a presentar una reclamación ante {authority}.',
		failed:
			'Lo sentimos, un problema técnico nos impidió completar su solicitud {requestId}. Inténtelo de nuevo más tarde o contacte directamente con {business}.',
		verification_code:
			'Su código de verificación de {business} es {code}. Caduca en {minutes} minutos. No lo comparta con nadie. Si no lo ha solicitado, ignore este mensaje.',
		verify_failed: 'Ese código no coincide. Revíselo e inténtelo de nuevo, o solicite un código nuevo.',
		verify_expired: 'Ese código ha caducado. Solicite uno nuevo desde el formulario.',
		received: 'Hemos recibido su solicitud {requestId}. Le responderemos por aquí a más tardar el {dueDate}.',
		erase_confirm:
			'¿Quiere que borremos todos los datos personales que tenemos sobre usted (solicitud {requestId})? No se puede deshacer. Para confirmarlo, pulse «Borrar mis datos» en los próximos {minutes} minutos.',
		erase_cancelled: 'De acuerdo, no hemos borrado nada: su solicitud de supresión {requestId} queda cancelada.',
		erase_expired:
			'Su solicitud de supresión {requestId} no se confirmó en {minutes} minutos, así que no se ha borrado nada. Si aún quiere que borremos sus datos, envíe de nuevo «borrar mis datos».',
		object_marketing_done:
			'Hecho (solicitud {requestId}): no le enviaremos más publicidad. Nuestro asistente seguirá respondiendo a sus preguntas; envíe STOP para detener también eso.',
		resume_marketing_done: 'Hecho (solicitud {requestId}): volverá a recibir nuestra publicidad. Envíe STOP en cualquier momento para darse de baja.',
	},
	pt: {
		access_done:
			'Seu pedido de acesso {requestId} foi concluído. Enviamos uma cópia dos dados pessoais que temos sobre você, incluindo como os usamos, com quem os compartilhamos e por quanto tempo os guardamos.',
		access_summary: 'Resumo dos dados que temos sobre você (pedido {requestId}):\n{summary}',
		correct_done: 'Seu pedido de correção {requestId} foi concluído. Atualizamos: {fields}.',
		correct_nothing:
			'Seu pedido de correção {requestId} foi encerrado: não encontramos nada para alterar. Se algum dado que temos sobre você estiver errado, informe qual é e o valor correto.',
		delete_done:
			'Seu pedido de exclusão {requestId} foi concluído: apagamos seus dados pessoais. A lei nos obriga a manter um registro mínimo do próprio pedido. Se você nos pediu STOP, também mantemos uma entrada de bloqueio para continuar respeitando isso.',
		delete_partial:
			'Seu pedido de exclusão {requestId} foi concluído, mas precisamos manter alguns dados: {kept}. Todo o resto foi apagado. Se não concordar, você tem o direito de apresentar uma reclamação perante {authority}.',
		object_done:
			'Pronto (pedido {requestId}): paramos de processar suas mensagens com IA e não enviaremos marketing para você. Se mudar de ideia, envie START.',
		resume_done:
			'Pronto (pedido {requestId}): nosso assistente de IA voltará a responder às suas mensagens. Envie STOP a qualquer momento para sair de novo.',
		status: 'Pedido {requestId} — situação: {state}. Responderemos até {dueDate}, no máximo.',
		denied:
			'Não podemos atender ao seu pedido {requestId}: {reason}. Se não concordar, você tem o direito de apresentar uma reclamação perante {authority}.',
		failed:
			'Desculpe, um problema técnico nos impediu de concluir seu pedido {requestId}. Tente novamente mais tarde ou fale diretamente com {business}.',
		verification_code:
			'Seu código de verificação de {business} é {code}. Ele expira em {minutes} minutos. Não o compartilhe com ninguém. Se você não o solicitou, ignore esta mensagem.',
		verify_failed: 'Esse código não confere. Verifique e tente novamente, ou solicite um novo código.',
		verify_expired: 'Esse código expirou. Solicite um novo pelo formulário.',
		received: 'Recebemos seu pedido {requestId}. Responderemos por aqui até {dueDate}, no máximo.',
		erase_confirm:
			'Você quer que apaguemos todos os dados pessoais que temos sobre você (pedido {requestId})? Isso não pode ser desfeito. Para confirmar, toque em "Apagar meus dados" nos próximos {minutes} minutos.',
		erase_cancelled: 'Tudo bem, não apagamos nada: seu pedido de exclusão {requestId} foi cancelado.',
		erase_expired:
			'Seu pedido de exclusão {requestId} não foi confirmado em {minutes} minutos, então nada foi apagado. Se ainda quiser que apaguemos seus dados, envie "apagar meus dados" novamente.',
		object_marketing_done:
			'Pronto (pedido {requestId}): não enviaremos mais marketing para você. Nosso assistente continua respondendo às suas perguntas; envie STOP para parar isso também.',
		resume_marketing_done: 'Pronto (pedido {requestId}): você voltará a receber nosso marketing. Envie STOP a qualquer momento para sair de novo.',
	},
	hi: {
		access_done:
			'आपका डेटा एक्सेस अनुरोध {requestId} पूरा हो गया है। आपके बारे में हमारे पास मौजूद व्यक्तिगत डेटा की एक प्रति हमने आपको भेज दी है, साथ ही यह जानकारी भी कि हम इसका उपयोग कैसे करते हैं, इसे किसके साथ साझा करते हैं और कितने समय तक रखते हैं।',
		access_summary: 'आपके बारे में हमारे पास मौजूद डेटा का सारांश (अनुरोध {requestId}):\n{summary}',
		correct_done: 'आपका सुधार अनुरोध {requestId} पूरा हो गया है। हमने ये जानकारियां अपडेट की हैं: {fields}।',
		correct_nothing:
			'आपका सुधार अनुरोध {requestId} बंद कर दिया गया है: हमें बदलने के लिए कुछ नहीं मिला। अगर आपके बारे में हमारे पास कोई जानकारी गलत है, तो हमें बताएं कि कौन-सी जानकारी गलत है और सही जानकारी क्या है।',
		delete_done:
			'आपका डेटा मिटाने का अनुरोध {requestId} पूरा हो गया है: हमने आपका व्यक्तिगत डेटा मिटा दिया है। कानून के अनुसार हमें इस अनुरोध का एक न्यूनतम रिकॉर्ड रखना होता है। अगर आपने हमसे STOP करने को कहा था, तो हम एक रोक-सूची प्रविष्टि भी रखते हैं ताकि आपकी यह बात आगे भी मानी जाती रहे।',
		delete_partial:
			'आपका डेटा मिटाने का अनुरोध {requestId} पूरा हो गया है, लेकिन हमें कुछ डेटा रखना पड़ा: {kept}। बाकी सब कुछ मिटा दिया गया है। अगर आप सहमत नहीं हैं, तो आपको {authority} के पास शिकायत दर्ज करने का अधिकार है।',
		object_done:
			'हो गया (अनुरोध {requestId}): हमने आपके संदेशों को AI से प्रोसेस करना बंद कर दिया है और हम आपको मार्केटिंग संदेश नहीं भेजेंगे। अगर आप अपना विचार बदलें, तो START भेजें।',
		resume_done:
			'हो गया (अनुरोध {requestId}): हमारा AI सहायक फिर से आपके संदेशों का जवाब देगा। दोबारा बंद करने के लिए कभी भी STOP भेजें।',
		status: 'अनुरोध {requestId} — स्थिति: {state}। हम {dueDate} तक आपको जवाब दे देंगे।',
		denied:
			'हम आपका अनुरोध {requestId} पूरा नहीं कर सकते: {reason}। अगर आप सहमत नहीं हैं, तो आपको {authority} के पास शिकायत दर्ज करने का अधिकार है।',
		failed:
			'क्षमा करें, एक तकनीकी समस्या के कारण हम आपका अनुरोध {requestId} पूरा नहीं कर सके। कृपया बाद में फिर से कोशिश करें या सीधे {business} से संपर्क करें।',
		verification_code:
			'आपका {business} सत्यापन कोड {code} है। यह {minutes} मिनट में समाप्त हो जाएगा। इसे किसी के साथ साझा न करें। अगर आपने यह कोड नहीं मांगा था, तो इस संदेश को अनदेखा करें।',
		verify_failed: 'यह कोड मेल नहीं खाता। कृपया इसे जांचकर फिर से कोशिश करें, या नया कोड मांगें।',
		verify_expired: 'इस कोड की समय-सीमा समाप्त हो गई है। कृपया फ़ॉर्म से नया कोड मांगें।',
		received: 'हमें आपका अनुरोध {requestId} मिल गया है। हम {dueDate} तक यहीं आपको जवाब दे देंगे।',
		erase_confirm:
			'क्या आप चाहते हैं कि हम आपके बारे में हमारे पास मौजूद सारा व्यक्तिगत डेटा मिटा दें (अनुरोध {requestId})? इसे वापस नहीं किया जा सकता। पुष्टि करने के लिए {minutes} मिनट के भीतर "सारा डेटा मिटाएं" पर टैप करें।',
		erase_cancelled: 'ठीक है, हमने कुछ भी नहीं मिटाया: आपका डेटा मिटाने का अनुरोध {requestId} रद्द कर दिया गया है।',
		erase_expired:
			'आपके डेटा मिटाने के अनुरोध {requestId} की पुष्टि {minutes} मिनट के भीतर नहीं हुई, इसलिए कुछ भी नहीं मिटाया गया। अगर आप अब भी अपना डेटा मिटवाना चाहते हैं, तो फिर से "मेरा डेटा हटाओ" भेजें।',
		object_marketing_done:
			'हो गया (अनुरोध {requestId}): हम आपको अब मार्केटिंग संदेश नहीं भेजेंगे। हमारा सहायक आपके सवालों के जवाब देता रहेगा; उसे भी बंद करने के लिए STOP भेजें।',
		resume_marketing_done: 'हो गया (अनुरोध {requestId}): आपको हमारे मार्केटिंग संदेश फिर से मिलेंगे। दोबारा बंद करने के लिए कभी भी STOP भेजें।',
	},
	ar: {
		access_done:
			'اكتمل طلب الوصول إلى بياناتك رقم {requestId}. أرسلنا إليك نسخة من البيانات الشخصية التي نحتفظ بها عنك، مع توضيح كيفية استخدامنا لها، ومع من نشاركها، ومدة احتفاظنا بها.',
		access_summary: 'ملخص البيانات التي نحتفظ بها عنك (الطلب {requestId}):\n{summary}',
		correct_done: 'اكتمل طلب التصحيح رقم {requestId}. قمنا بتحديث: {fields}.',
		correct_nothing:
			'أُغلق طلب التصحيح رقم {requestId}: لم نجد ما يلزم تغييره. إذا كانت لدينا أي معلومة غير صحيحة عنك، فأرسل إلينا المعلومة الخاطئة والقيمة الصحيحة.',
		delete_done:
			'اكتمل طلب حذف بياناتك رقم {requestId}: حذفنا بياناتك الشخصية. يُلزمنا القانون بالاحتفاظ بسجل موجز لهذا الطلب نفسه. وإذا كنت قد طلبت STOP، فإننا نحتفظ أيضًا بقيد في قائمة الحظر حتى نواصل احترام طلبك.',
		delete_partial:
			'اكتمل طلب حذف بياناتك رقم {requestId}، لكننا اضطررنا إلى الاحتفاظ ببعض البيانات: {kept}. وحُذف كل ما عدا ذلك. إذا كنت غير موافق، فيحق لك تقديم شكوى إلى {authority}.',
		object_done:
			'تم (الطلب {requestId}): أوقفنا معالجة رسائلك بالذكاء الاصطناعي ولن نرسل إليك رسائل تسويقية. إذا غيّرت رأيك، فأرسل START.',
		resume_done:
			'تم (الطلب {requestId}): سيعود مساعد الذكاء الاصطناعي لدينا إلى الرد على رسائلك. أرسل STOP في أي وقت لإيقافه مجددًا.',
		status: 'الطلب {requestId} — الحالة: {state}. سنرد عليك في موعد أقصاه {dueDate}.',
		denied:
			'لا يمكننا تلبية طلبك رقم {requestId}: {reason}. إذا كنت غير موافق، فيحق لك تقديم شكوى إلى {authority}.',
		failed:
			'نعتذر، حالت مشكلة تقنية دون إتمام طلبك رقم {requestId}. يُرجى المحاولة مرة أخرى لاحقًا أو التواصل مع {business} مباشرةً.',
		verification_code:
			'رمز التحقق الخاص بك من {business} هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة. لا تشاركه مع أي شخص. إذا لم تطلبه، فتجاهل هذه الرسالة.',
		verify_failed: 'الرمز غير مطابق. يُرجى التحقق منه والمحاولة مرة أخرى، أو طلب رمز جديد.',
		verify_expired: 'انتهت صلاحية هذا الرمز. يُرجى طلب رمز جديد من النموذج.',
		received: 'استلمنا طلبك رقم {requestId}. سنرد عليك هنا في موعد أقصاه {dueDate}.',
		erase_confirm:
			'هل تريد أن نحذف كل البيانات الشخصية التي نحتفظ بها عنك (الطلب {requestId})؟ لا يمكن التراجع عن ذلك. للتأكيد، اضغط على "احذف كل بياناتي" خلال {minutes} دقائق.',
		erase_cancelled: 'حسنًا، لم نحذف شيئًا: أُلغي طلب حذف بياناتك رقم {requestId}.',
		erase_expired:
			'لم يتم تأكيد طلب حذف بياناتك رقم {requestId} خلال {minutes} دقائق، لذلك لم يُحذف شيء. إذا كنت لا تزال تريد حذف بياناتك، فأرسل "احذف بياناتي" مرة أخرى.',
		object_marketing_done:
			'تم (الطلب {requestId}): لن نرسل إليك رسائل تسويقية بعد الآن. سيواصل مساعدنا الرد على أسئلتك؛ أرسل STOP لإيقاف ذلك أيضًا.',
		resume_marketing_done: 'تم (الطلب {requestId}): ستتلقى رسائلنا التسويقية مرة أخرى. أرسل STOP في أي وقت لإيقافها مجددًا.',
	},
	id: {
		access_done:
			'Permintaan akses Anda {requestId} telah selesai. Kami telah mengirimkan salinan data pribadi yang kami simpan tentang Anda, beserta cara kami menggunakannya, dengan siapa kami membagikannya, dan berapa lama kami menyimpannya.',
		access_summary: 'Ringkasan data yang kami simpan tentang Anda (permintaan {requestId}):\n{summary}',
		correct_done: 'Permintaan koreksi Anda {requestId} telah selesai. Kami telah memperbarui: {fields}.',
		correct_nothing:
			'Permintaan koreksi Anda {requestId} telah ditutup: kami tidak menemukan apa pun yang perlu diubah. Jika ada data tentang Anda yang salah, beri tahu kami data mana dan nilai yang benar.',
		delete_done:
			'Permintaan penghapusan Anda {requestId} telah selesai: kami telah menghapus data pribadi Anda. Hukum mewajibkan kami menyimpan catatan minimal tentang permintaan ini sendiri. Jika Anda meminta STOP, kami juga menyimpan entri daftar blokir agar permintaan itu tetap dihormati.',
		delete_partial:
			'Permintaan penghapusan Anda {requestId} telah selesai, tetapi kami harus menyimpan sebagian data: {kept}. Data lainnya telah dihapus. Jika Anda tidak setuju, Anda berhak mengajukan pengaduan kepada {authority}.',
		object_done:
			'Selesai (permintaan {requestId}): kami telah berhenti memproses pesan Anda dengan AI dan tidak akan mengirimi Anda pesan pemasaran. Jika berubah pikiran, kirim START.',
		resume_done:
			'Selesai (permintaan {requestId}): asisten AI kami akan kembali membalas pesan Anda. Kirim STOP kapan saja untuk berhenti lagi.',
		status: 'Permintaan {requestId} — status: {state}. Kami akan membalas paling lambat {dueDate}.',
		denied:
			'Kami tidak dapat memenuhi permintaan Anda {requestId}: {reason}. Jika Anda tidak setuju, Anda berhak mengajukan pengaduan kepada {authority}.',
		failed:
			'Maaf, masalah teknis membuat kami tidak dapat menyelesaikan permintaan Anda {requestId}. Silakan coba lagi nanti atau hubungi {business} secara langsung.',
		verification_code:
			'Kode verifikasi {business} Anda adalah {code}. Kode ini berlaku selama {minutes} menit. Jangan bagikan kepada siapa pun. Jika Anda tidak memintanya, abaikan pesan ini.',
		verify_failed: 'Kode tersebut tidak cocok. Periksa kembali dan coba lagi, atau minta kode baru.',
		verify_expired: 'Kode tersebut sudah kedaluwarsa. Silakan minta kode baru melalui formulir.',
		received: 'Kami telah menerima permintaan Anda {requestId}. Kami akan membalas di sini paling lambat {dueDate}.',
		erase_confirm:
			'Apakah Anda ingin kami menghapus semua data pribadi yang kami simpan tentang Anda (permintaan {requestId})? Tindakan ini tidak dapat dibatalkan. Untuk mengonfirmasi, ketuk "Hapus semua data" dalam {minutes} menit.',
		erase_cancelled: 'Baik, kami tidak menghapus apa pun: permintaan penghapusan {requestId} Anda dibatalkan.',
		erase_expired:
			'Permintaan penghapusan {requestId} Anda tidak dikonfirmasi dalam {minutes} menit, jadi tidak ada yang dihapus. Jika Anda masih ingin kami menghapus data Anda, kirim "hapus data saya" lagi.',
		object_marketing_done:
			'Selesai (permintaan {requestId}): kami tidak akan mengirimi Anda pesan pemasaran lagi. Asisten kami tetap menjawab pertanyaan Anda; kirim STOP untuk menghentikannya juga.',
		resume_marketing_done: 'Selesai (permintaan {requestId}): Anda akan menerima pesan pemasaran kami lagi. Kirim STOP kapan saja untuk berhenti lagi.',
	},
};

/** What the access summary states, one line each (see {@link accessSummary}). */
export interface AccessSummaryFacts {
	/** Whether a profile is held. */
	profile: boolean;
	/** Messages still held (encrypted, expiring). */
	messages: number;
	/** Reply records. */
	replies: number;
	/** Privacy requests on record (this one included). */
	requests: number;
	aiReplies: ProcessingState;
	marketing: ProcessingState;
}

export type ProcessingState = 'active' | 'objected';

/**
 * The lines of the access summary. Each line is a template filled like {@link MESSAGES}; the state words
 * are per field so that they agree with their noun (Spanish and Portuguese).
 */
export interface AccessSummaryText {
	profile: string;
	profileHeld: string;
	profileNone: string;
	messages: string;
	replies: string;
	requests: string;
	processing: string;
	aiReplies: Readonly<Record<ProcessingState, string>>;
	marketing: Readonly<Record<ProcessingState, string>>;
}

export const ACCESS_SUMMARY: Readonly<Record<Language, AccessSummaryText>> = {
	en: {
		profile: 'Profile: {profile}',
		profileHeld: 'yes',
		profileNone: 'none',
		messages: 'Messages still held (encrypted, expiring): {messages}',
		replies: 'Reply records: {replies}',
		requests: 'Privacy requests: {requests}',
		processing: 'AI replies: {aiReplies}, marketing: {marketing}',
		aiReplies: { active: 'active', objected: 'objected' },
		marketing: { active: 'active', objected: 'objected' },
	},
	bn: {
		profile: 'প্রোফাইল: {profile}',
		profileHeld: 'আছে',
		profileNone: 'নেই',
		messages: 'আমাদের কাছে এখনো থাকা বার্তা (এনক্রিপ্ট করা, নির্দিষ্ট সময় পরে মুছে যায়): {messages}',
		replies: 'উত্তরের রেকর্ড: {replies}',
		requests: 'গোপনীয়তা-সংক্রান্ত অনুরোধ: {requests}',
		processing: 'এআই-এর উত্তর: {aiReplies}; প্রচারমূলক বার্তা: {marketing}',
		aiReplies: { active: 'চালু', objected: 'আপনার আপত্তিতে বন্ধ' },
		marketing: { active: 'চালু', objected: 'আপনার আপত্তিতে বন্ধ' },
	},
	es: {
		profile: 'Perfil: {profile}',
		profileHeld: 'sí',
		profileNone: 'ninguno',
		messages: 'Mensajes que aún conservamos (cifrados, se borran automáticamente): {messages}',
		replies: 'Registros de respuestas: {replies}',
		requests: 'Solicitudes de privacidad: {requests}',
		processing: 'Respuestas con IA: {aiReplies}; publicidad: {marketing}',
		aiReplies: { active: 'activas', objected: 'desactivadas por su oposición' },
		marketing: { active: 'activa', objected: 'desactivada por su oposición' },
	},
	pt: {
		profile: 'Perfil: {profile}',
		profileHeld: 'sim',
		profileNone: 'nenhum',
		messages: 'Mensagens que ainda guardamos (criptografadas, apagadas automaticamente): {messages}',
		replies: 'Registros de respostas: {replies}',
		requests: 'Pedidos de privacidade: {requests}',
		processing: 'Respostas com IA: {aiReplies}; publicidade: {marketing}',
		aiReplies: { active: 'ativas', objected: 'desativadas por sua oposição' },
		marketing: { active: 'ativa', objected: 'desativada por sua oposição' },
	},
	hi: {
		profile: 'प्रोफ़ाइल: {profile}',
		profileHeld: 'है',
		profileNone: 'नहीं है',
		messages: 'हमारे पास अब भी मौजूद संदेश (एन्क्रिप्टेड, तय समय के बाद अपने-आप मिट जाते हैं): {messages}',
		replies: 'जवाबों के रिकॉर्ड: {replies}',
		requests: 'निजता से जुड़े अनुरोध: {requests}',
		processing: 'एआई से जवाब: {aiReplies}; प्रचार संदेश: {marketing}',
		aiReplies: { active: 'चालू', objected: 'आपकी आपत्ति पर बंद' },
		marketing: { active: 'चालू', objected: 'आपकी आपत्ति पर बंद' },
	},
	ar: {
		profile: 'الملف الشخصي: {profile}',
		profileHeld: 'موجود',
		profileNone: 'لا يوجد',
		messages: 'الرسائل التي ما زلنا نحتفظ بها (مشفّرة وتُحذف تلقائيًا): {messages}',
		replies: 'سجلات الردود: {replies}',
		requests: 'طلبات الخصوصية: {requests}',
		processing: 'الردود بالذكاء الاصطناعي: {aiReplies}؛ الرسائل التسويقية: {marketing}',
		aiReplies: { active: 'مفعّلة', objected: 'موقوفة بناءً على اعتراضك' },
		marketing: { active: 'مفعّلة', objected: 'موقوفة بناءً على اعتراضك' },
	},
	id: {
		profile: 'Profil: {profile}',
		profileHeld: 'ada',
		profileNone: 'tidak ada',
		messages: 'Pesan yang masih kami simpan (terenkripsi, terhapus otomatis): {messages}',
		replies: 'Catatan balasan: {replies}',
		requests: 'Permintaan privasi: {requests}',
		processing: 'Balasan AI: {aiReplies}; pesan pemasaran: {marketing}',
		aiReplies: { active: 'aktif', objected: 'dihentikan atas keberatan Anda' },
		marketing: { active: 'aktif', objected: 'dihentikan atas keberatan Anda' },
	},
};

const FSI = '\u2068';
const PDI = '\u2069';
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/**
 * The supported language for a value such as 'es', 'PT-br' or 'ar_EG'; English for anything else
 * (including undefined, unknown codes and non-strings).
 */
export function resolveLanguage(value: unknown): Language {
	if (typeof value !== 'string') return 'en';
	const primary = value.trim().toLowerCase().split(/[-_]/)[0];
	return (LANGUAGES as readonly string[]).includes(primary) ? (primary as Language) : 'en';
}

/**
 * The text for `key` in `language` (English when unknown), with `{name}` placeholders filled from
 * `params`. Substitution is single-pass, so a value that itself contains `{…}` is never expanded.
 */
export function privacyMessage(
	key: MessageKey,
	language: Language | undefined,
	params: Record<string, string | number>,
): string {
	const lang = resolveLanguage(language);
	const template = Object.prototype.hasOwnProperty.call(MESSAGES[lang], key)
		? MESSAGES[lang][key]
		: Object.prototype.hasOwnProperty.call(MESSAGES.en, key)
			? MESSAGES.en[key]
			: `{${String(key)}}`;
	return fill(template, lang, params, (name) => (name === 'authority' ? DEFAULT_AUTHORITY[lang] : undefined));
}

/**
 * The lines of the access summary (profile, messages still held, reply records, privacy requests, AI
 * replies and marketing) in `language` (English when unknown), one per line. Numbers stay in Western
 * digits, as in every other message; in right-to-left languages each value is wrapped in bidi isolates.
 */
export function accessSummary(language: Language | undefined, facts: AccessSummaryFacts): string {
	const lang = resolveLanguage(language);
	const text = ACCESS_SUMMARY[lang];
	const state = (words: Readonly<Record<ProcessingState, string>>, value: unknown): string =>
		typeof value === 'string' && Object.prototype.hasOwnProperty.call(words, value) ? words[value as ProcessingState] : '';
	const values: Record<string, unknown> = {
		profile: facts?.profile ? text.profileHeld : text.profileNone,
		messages: facts?.messages,
		replies: facts?.replies,
		requests: facts?.requests,
		aiReplies: state(text.aiReplies, facts?.aiReplies),
		marketing: state(text.marketing, facts?.marketing),
	};
	return [text.profile, text.messages, text.replies, text.requests, text.processing]
		.map((line) => fill(line, lang, values))
		.join('\n');
}

/**
 * `template` with its `{name}` placeholders filled from `params`, single-pass (a value that itself
 * contains `{…}` is never expanded). A blank, missing or non-finite value takes `fallback(name)` if it
 * gives one, else the placeholder stays visible. Values are bidi-isolated in right-to-left languages.
 */
function fill(
	template: string,
	lang: Language,
	params: Readonly<Record<string, unknown>> | undefined,
	fallback: (name: string) => string | undefined = () => undefined,
): string {
	const values: Readonly<Record<string, unknown>> = params ?? {};
	const isolate = RTL_LANGUAGES.has(lang);
	return template.replace(PLACEHOLDER, (whole, name: string) => {
		let value: string | undefined;
		if (Object.prototype.hasOwnProperty.call(values, name)) {
			const raw: unknown = values[name];
			if ((typeof raw === 'string' && raw.trim() !== '') || (typeof raw === 'number' && Number.isFinite(raw))) {
				value = String(raw);
			}
		}
		if (value === undefined) value = fallback(name);
		if (value === undefined) return whole;
		return isolate ? `${FSI}${value}${PDI}` : value;
	});
}
