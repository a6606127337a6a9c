/**
 * `npm run token -- <userId> [name] [--rooms a,b] [--admin] [--expires 2h]`
 *
 * Prints a dev JWT and nothing else on stdout, so it composes:
 *   wscat -c "ws://127.0.0.1:3001?token=$(npm run -s token -- alice)"
 * Signs with JWT_SECRET (or the documented local default) and sets iss/aud from
 * JWT_ISSUER/JWT_AUDIENCE, the same variables the authorizer reads.
 */
import { parseArgs } from 'node:util';
import { mintDevToken } from './dev-token.js';

const USAGE = `usage: npm run token -- <userId> [name] [--rooms a,b] [--admin] [--expires 2h]

  --rooms a,b     private rooms the user may join ("*" = all)
  --admin         add the "admin" role (may publish to everyone)
  --expires 2h    lifetime as a jose time span (default 12h)`;

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        rooms: { type: 'string' },
        admin: { type: 'boolean', default: false },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [userId, name, ...extra] = positionals;
  if (userId === undefined || userId.trim() === '') throw new UsageError('missing <userId>');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra.join(' ')}`);
  if (values.expires !== undefined && values.expires.trim() === '') throw new UsageError('--expires needs a time span');
  const rooms = (values.rooms ?? '')
    .split(',')
    .map((room) => room.trim())
    .filter((room) => room !== '');
  return {
    userId,
    ...(name !== undefined && name !== '' ? { name } : {}),
    rooms,
    roles: values.admin ? ['admin'] : [],
    ...(values.expires !== undefined ? { expiresIn: values.expires } : {}),
    ...(process.env.JWT_ISSUER ? { issuer: process.env.JWT_ISSUER } : {}),
    ...(process.env.JWT_AUDIENCE ? { audience: process.env.JWT_AUDIENCE } : {}),
  };
}

try {
  const options = parse(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    try {
      process.stdout.write(`${await mintDevToken(options)}\n`);
    } catch (error) {
      // jose rejects a malformed time span with a TypeError; that is the user's input.
      if (error instanceof TypeError) throw new UsageError(`--expires: ${error.message}`);
      throw error;
    }
  }
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`token: ${error.message}\n${USAGE}\n`);
  process.exitCode = 2;
}
