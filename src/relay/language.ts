/**
 * The owner's language for the relay's own words (acknowledgements, command answers): Hebrew by
 * default (the seed's), English when the owner writes English.
 */
export type Language = 'he' | 'en';

export function languageOf(text: string, fallback: Language): Language {
  const hebrew = (text.match(/[\u0590-\u05FF]/g) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  if (hebrew > 0 && hebrew >= latin) return 'he';
  if (latin > 0) return 'en';
  return fallback;
}

/** The first lines of an approval request: who asks, for what, why. The ask adds how to answer; a settled ask, what became of it. */
const approvalHead = {
  en: (a: AskHead) => `🔐 ${a.agent} asks for your yes: ${a.action}\nWhy: ${a.reason}`,
  he: (a: AskHead) => `🔐 ${a.agent} מבקש את אישורך: ${a.action}\nלמה: ${a.reason}`,
};

export const PHRASES = {
  ack: { en: "Got it, I'll check…", he: 'קיבלתי, בודק…' },
  failed: {
    en: (why: string) => `Sorry, I could not handle that: ${why}. Try again, or send "status".`,
    he: (why: string) => `מצטער, לא הצלחתי לטפל בזה: ${why}. נסה שוב, או שלח "סטטוס".`,
  },
  paused: { en: '⏸️ Paused: no agent takes new work until "resume".', he: '⏸️ הרשת מושהית: אף סוכן לא לוקח עבודה חדשה עד "המשך".' },
  alreadyPaused: { en: 'Already paused.', he: 'כבר מושהה.' },
  resumed: { en: '▶️ Resumed.', he: '▶️ הרשת ממשיכה.' },
  notPaused: { en: 'Not paused.', he: 'הרשת לא מושהית.' },
  confirmShutdown: {
    en: (agents: string) => `Stop every agent (${agents})? They stay down until started again. Reply "yes" within 2 minutes to confirm.`,
    he: (agents: string) => `לעצור את כל הסוכנים (${agents})? הם יישארו כבויים עד שיופעלו מחדש. השב "כן" תוך 2 דקות לאישור.`,
  },
  cancelled: { en: 'Cancelled.', he: 'בוטל.' },
  shutdownReport: {
    en: (stopped: string, running: string) => `🛑 Shutdown: stopped ${stopped || 'none'}${running ? `; still answering: ${running}` : ''}. I stop now too.`,
    he: (stopped: string, running: string) => `🛑 כיבוי: נעצרו ${stopped || 'אף אחד'}${running ? `; עדיין עונים: ${running}` : ''}. גם אני נעצר עכשיו.`,
  },
  down: { en: (agent: string, why: string) => `❌ ${agent} is down: ${why}`, he: (agent: string, why: string) => `❌ ${agent} לא זמין: ${why}` },
  tasks: {
    en: (q: { queued: number; running: number; dead: number }) => `tasks: ${q.queued} queued, ${q.running} running, ${q.dead} dead`,
    he: (q: { queued: number; running: number; dead: number }) => `משימות: ${q.queued} בתור, ${q.running} רצות, ${q.dead} נכשלו`,
  },
  up: { en: (agent: string) => `✅ ${agent} is back up.`, he: (agent: string) => `✅ ${agent} חזר לפעול.` },
  approvalHead,
  approvalAsk: {
    en: (a: AskText) => `${approvalHead.en(a)}\nExpires at ${a.expires} (in ${a.minutes} min).\nReply "yes ${a.code}" to approve or "no ${a.code}" to deny.`,
    he: (a: AskText) => `${approvalHead.he(a)}\nתוקף עד ${a.expires} (בעוד ${a.minutes} דק׳).\nהשב "כן ${a.code}" לאישור או "לא ${a.code}" לדחייה.`,
  },
  /** The buttons under the ask, where the channel has them (Telegram). */
  approvalButtons: { en: { approve: '✅ Approve', deny: '🚫 Deny' }, he: { approve: '✅ אשר', deny: '🚫 דחה' } },
  /** The last line of an ask once settled, its buttons gone. */
  approvalSettled: {
    en: (code: string, status: 'approved' | 'denied' | 'expired', by: string) =>
      status === 'approved' ? `✅ Approved by ${by} (${code}).` : status === 'denied' ? `🚫 Denied by ${by} (${code}).` : `⌛ Expired without an answer (${code}).`,
    he: (code: string, status: 'approved' | 'denied' | 'expired', by: string) =>
      status === 'approved' ? `✅ אושר על ידי ${by} (${code}).` : status === 'denied' ? `🚫 נדחה על ידי ${by} (${code}).` : `⌛ פג ללא תשובה (${code}).`,
  },
  /** The short notice a tap on a button is answered with (Telegram shows it over the chat). */
  approvalNotice: {
    en: { approved: '✅ Approved', denied: '🚫 Denied', expired: '⌛ Expired; nothing was decided', unknown: 'No such request; nothing was decided' },
    he: { approved: '✅ אושר', denied: '🚫 נדחה', expired: '⌛ פג תוקף; לא הוחלט דבר', unknown: 'אין בקשה כזו; לא הוחלט דבר' },
  },
  approvalNoticeAlready: {
    en: (status: string, by: string) => `Already ${status} by ${by}; nothing changed`,
    he: (status: string, by: string) => `כבר ${status === 'approved' ? 'אושרה' : 'נדחתה'} על ידי ${by}; לא השתנה דבר`,
  },
  approvalApproved: {
    en: (code: string, action: string, agent: string) => `✅ Approved (${code}): ${agent} runs ${action}; the outcome follows.`,
    he: (code: string, action: string, agent: string) => `✅ אושר (${code}): ${agent} מריץ ${action}; התוצאה תגיע.`,
  },
  approvalDenied: {
    en: (code: string, action: string, agent: string) => `🚫 Denied (${code}): ${agent} will not run ${action}.`,
    he: (code: string, action: string, agent: string) => `🚫 נדחה (${code}): ${agent} לא יריץ ${action}.`,
  },
  approvalAlreadyDecided: {
    en: (code: string, status: string, by: string) => `Approval ${code} was already ${status} by ${by}; nothing changed.`,
    he: (code: string, status: string, by: string) => `בקשה ${code} כבר ${status === 'approved' ? 'אושרה' : 'נדחתה'} על ידי ${by}; לא השתנה דבר.`,
  },
  approvalTooLate: {
    en: (code: string, action: string) => `⌛ Approval ${code} has expired; nothing was decided and ${action} does not run.`,
    he: (code: string, action: string) => `⌛ תוקף בקשה ${code} פג; לא הוחלט דבר ו-${action} לא ירוץ.`,
  },
  approvalUnknown: {
    en: (code: string) => `No approval has the code ${code}; nothing was decided (see the code in the request).`,
    he: (code: string) => `אין בקשת אישור עם הקוד ${code}; לא הוחלט דבר (הקוד מופיע בבקשה).`,
  },
  approvalExpired: {
    en: (code: string, action: string, agent: string) => `⌛ Approval ${code} expired without an answer: ${agent} did not run ${action}.`,
    he: (code: string, action: string, agent: string) => `⌛ בקשת אישור ${code} פגה ללא תשובה: ${agent} לא הריץ ${action}.`,
  },
} as const;

/** Who asks for what, and why. */
export interface AskHead {
  agent: string;
  action: string;
  reason: string;
}

/** What an approval request tells the owner. */
export interface AskText extends AskHead {
  /** The expiry, as the owner reads it (`09:12 UTC`). */
  expires: string;
  minutes: number;
  code: string;
}
