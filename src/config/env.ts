/** `${VAR}` substitution in config values, so secrets live in the environment, not the file. */

export interface Substitution {
  /** Dotted paths whose value came (at least partly) from the environment: masked when printed. */
  secretPaths: Set<string>;
  /** Variables that were not set, with the path that used them. */
  missing: Array<{ variable: string; path: (string | number)[] }>;
}

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree (never in the
 * raw text, so a value cannot inject YAML). `$$` is a literal `$`.
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  out: Substitution,
  path: (string | number)[] = [],
  /** Paths where an unset variable is not an error: the `${VAR}` text is kept as is. */
  optional: (path: (string | number)[]) => boolean = () => false,
): unknown {
  if (typeof value === 'string') {
    let fromEnv = false;
    const replaced = value.replace(REF, (whole, variable: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      fromEnv = true;
      const v = env[variable!];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      if (optional(path)) return whole;
      out.missing.push({ variable: variable!, path });
      return '';
    });
    if (fromEnv) out.secretPaths.add(path.join('.'));
    return replaced;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, out, [...path, i], optional));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, out, [...path, k], optional)]));
  }
  return value;
}

/** Every `${VAR}` a parsed YAML tree refers to, with where (for deployment env files). */
export function envReferences(value: unknown, path: (string | number)[] = [], out: Array<{ variable: string; path: (string | number)[] }> = []) {
  if (typeof value === 'string') {
    for (const m of value.matchAll(REF)) if (m[1]) out.push({ variable: m[1], path });
  } else if (Array.isArray(value)) value.forEach((v, i) => envReferences(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) envReferences(v, [...path, k], out);
  return out;
}
