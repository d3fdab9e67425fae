/** Masks secrets in a config before it is printed or logged. */

const SECRET_KEY = /token|secret|password|apikey|api_key|authorization/i;
export const MASK = '********';

/**
 * A copy of `value` with every secret replaced by a mask: values that came from the
 * environment (`${VAR}`) and values under keys that name a secret (token, apiKey, ...).
 */
export function maskSecrets(value: unknown, secretPaths: ReadonlySet<string>, path: string[] = []): unknown {
  const here = path.join('.');
  const key = path[path.length - 1] ?? '';
  if (typeof value === 'string') {
    if (value !== '' && (secretPaths.has(here) || SECRET_KEY.test(key))) return MASK;
    return urlPassword(value) ? value.replace(`:${urlPassword(value)}@`, `:${MASK}@`) : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => maskSecrets(v, secretPaths, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, secretPaths, [...path, k])]));
  }
  return value;
}

/** The secret values in a config (from the environment, or under secret-named keys), for log redaction. */
export function collectSecrets(value: unknown, secretPaths: ReadonlySet<string>, path: string[] = [], out: string[] = []): string[] {
  const key = path[path.length - 1] ?? '';
  if (typeof value === 'string') {
    if (value !== '' && (secretPaths.has(path.join('.')) || SECRET_KEY.test(key))) out.push(value);
    const password = urlPassword(value);
    if (password) out.push(password);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, secretPaths, [...path, k], out);
  }
  return out;
}

/** The password in a postgres://user:password@host URL, as written. */
function urlPassword(value: string): string | undefined {
  return /^postgres(?:ql)?:\/\/[^:/@\s]+:([^@\s]+)@/.exec(value)?.[1];
}
