/**
 * Owner commands, recognised before any model runs: the whole message must be the command
 * (so "what does status mean?" goes to the model), in English or Hebrew.
 */
export type Command = 'status' | 'pause' | 'resume' | 'shutdown' | 'confirm' | 'cancel';

const FORMS: Array<[Command, RegExp]> = [
  ['status', /^(status|סטטוס|מצב)$/i],
  ['pause', /^(pause|עצור|השהה|השהיה)$/i],
  ['resume', /^(resume|המשך|חדש)$/i],
  ['shutdown', /^(shutdown all|shut down all|כבה הכל|כבה את הכל)$/i],
  ['confirm', /^(yes|confirm|כן|אשר)$/i],
  ['cancel', /^(no|cancel|לא|בטל)$/i],
];

export function parseCommand(text: string): Command | undefined {
  // Case, surrounding spaces, a leading slash (Telegram's /status) and trailing punctuation do not matter.
  const t = text.trim().replace(/^\//, '').replace(/[\s.!?]+$/u, '').replace(/\s+/g, ' ');
  return FORMS.find(([, re]) => re.test(t))?.[0];
}
