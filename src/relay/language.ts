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
  approvalAsk: {
    en: (a: AskText) => `🔐 ${a.agent} asks for your yes: ${a.action}\nWhy: ${a.reason}\nExpires at ${a.expires} (in ${a.minutes} min).\nReply "yes ${a.code}" to approve or "no ${a.code}" to deny.`,
    he: (a: AskText) => `🔐 ${a.agent} מבקש את אישורך: ${a.action}\nלמה: ${a.reason}\nתוקף עד ${a.expires} (בעוד ${a.minutes} דק׳).\nהשב "כן ${a.code}" לאישור או "לא ${a.code}" לדחייה.`,
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

/** What an approval request tells the owner. */
export interface AskText {
  agent: string;
  action: string;
  reason: string;
  /** The expiry, as the owner reads it (`09:12 UTC`). */
  expires: string;
  minutes: number;
  code: string;
}
