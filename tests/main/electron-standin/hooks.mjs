// Node module hooks for a src-main child process under test: `electron` resolves to the stand-in.
const STAND_IN = new URL('./main-process.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  // Through the next hook (tsx), which loads TypeScript.
  if (specifier === 'electron') return next(STAND_IN, context);
  return next(specifier, context);
}
