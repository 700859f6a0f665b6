// Reads `--name N` or `--name=N` (a whole number) from the command line, for the npm scripts.
export function numberArg(args, name, fallback) {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return fallback;
  const v = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  if (!/^\d+$/.test(v ?? '')) {
    console.error(`${name} needs a whole number`);
    process.exit(2);
  }
  return v;
}
