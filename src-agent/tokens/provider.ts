/**
 * Which provider serves a module path. PKCS#11 is the default; an SKF library
 * (GM/T 0016) is named `skf:<path>` in the config's `modules`, on the command
 * line (`--module skf:/path/lib.so`) and in `TokenInfo.module`.
 */
export type Provider = 'pkcs11' | 'skf';

/** Prefix that marks an SKF library in a module path. */
export const SKF_PREFIX = 'skf:';

/** The provider of a module path and the library file it names. */
export function providerOf(modulePath: string): { provider: Provider; file: string } {
  return modulePath.startsWith(SKF_PREFIX) ? { provider: 'skf', file: modulePath.slice(SKF_PREFIX.length) } : { provider: 'pkcs11', file: modulePath };
}

/** The module path for a library file of a provider. */
export function modulePathOf(provider: Provider, file: string): string {
  return provider === 'skf' ? `${SKF_PREFIX}${file}` : file;
}
