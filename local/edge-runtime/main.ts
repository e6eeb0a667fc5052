// Runs one Edge Function in plain Deno the way Supabase's edge runtime does: the function's module
// calls `Deno.serve(handler)` without caring about ports; here that call is bound to the port the
// local stack chose (PORT), on loopback. The function's code runs unchanged.
const entrypoint = Deno.args[0];
if (!entrypoint) {
  console.error('usage: deno run main.ts <function entrypoint>');
  Deno.exit(2);
}

const port = Number(Deno.env.get('PORT') ?? '0');
const realServe = Deno.serve.bind(Deno);

type Handler = Deno.ServeHandler;
// Deno.serve(handler) / Deno.serve(options, handler) / Deno.serve({ handler, ...options })
(Deno as { serve: unknown }).serve = (first: unknown, second?: unknown) => {
  const handler = (typeof first === 'function' ? first : (second ?? (first as { handler?: Handler }).handler)) as Handler;
  return realServe(
    {
      port,
      hostname: '127.0.0.1',
      // On stderr: stdout carries the function's own logs, which the stack may discard.
      onListen: ({ port: bound }) => console.error(JSON.stringify({ msg: 'edge-runtime listening', port: bound })),
    },
    handler,
  );
};

const url = new URL(entrypoint, `file://${Deno.cwd()}/`);
await import(url.href);
