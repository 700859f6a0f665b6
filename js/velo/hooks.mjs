// Module resolution hooks (node:module register): Velo's module names to this package's files.
const VELO = {
  'wix-loyalty.v2': './wix-loyalty.v2.mjs',
  'wix-loyalty-backend': './wix-loyalty-backend.mjs',
  'wix-auth': './wix-auth.mjs',
  'wix-web-module': './wix-web-module.mjs',
  'wix-members-backend': './wix-members-backend.mjs',
};

export async function resolve(specifier, context, next) {
  if (Object.hasOwn(VELO, specifier)) return { url: new URL(VELO[specifier], import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
