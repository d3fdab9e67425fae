/**
 * The owner's answer to an approval request, typed on the phone or in the terminal: a yes or no
 * word and the request's four-digit code ("yes 4821", "deny 4821", "כן 4821"). Like the owner
 * commands, the whole message must be the answer, so a sentence that merely holds a code goes
 * to the conversation.
 */
export interface ApprovalAnswer {
  decision: 'approve' | 'deny';
  /** The four digits, as the request gave them. */
  code: string;
}

const WORDS: Array<['approve' | 'deny', string]> = [
  ['approve', 'yes|approve|approved|ok|כן|אשר|מאשר|מאושר'],
  ['deny', 'no|deny|denied|reject|לא|דחה|דוחה|סרב'],
];

/** Between the word and the code: spaces, a comma, a colon, a dash or a "#" ("yes, #4821"). */
const GAP = '[\\s,:;#-]*';

/** Direction marks a phone puts around Hebrew or digits; invisible, so never a difference. */
const BIDI = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

export function parseApprovalAnswer(text: string): ApprovalAnswer | undefined {
  // Case, surrounding spaces, a leading slash (Telegram's /approve) and final punctuation do not matter.
  const t = text.replace(BIDI, '').trim().replace(/^\//, '').replace(/[\s.!?]+$/u, '').replace(/\s+/g, ' ');
  for (const [decision, words] of WORDS) {
    const m = new RegExp(`^(?:(?:${words})${GAP}(\\d{4})|(\\d{4})${GAP}(?:${words}))$`, 'iu').exec(t);
    if (m) return { decision, code: (m[1] ?? m[2])! };
  }
  return undefined;
}

/** A tap on an ask's Approve or Deny button: the decision and the one approval it is bound to. */
export interface ApprovalTap {
  decision: 'approve' | 'deny';
  /** The approval's id (`approval-<uuid>`). */
  id: string;
}

/** What a button sends back: `approve:<id>` or `deny:<id>`, 59 bytes at most with an `approval-<uuid>` id. */
export const approvalTapData = (t: ApprovalTap): string => `${t.decision}:${t.id}`;

/** The data as the owner's phone sent it back, checked: anything else (forged, cut, from another bot) is no tap of ours. */
const TAP_DATA = /^(approve|deny):(approval-[A-Za-z0-9-]{1,55})$/;

export function parseApprovalTap(data: string): ApprovalTap | undefined {
  const m = TAP_DATA.exec(data);
  return m ? { decision: m[1] as ApprovalTap['decision'], id: m[2]! } : undefined;
}
