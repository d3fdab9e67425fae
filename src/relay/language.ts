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
} as const;
