// The handshake's pure functions: both sides derive the same keys; every byte of both messages
// is authenticated; a wrong identity, a wrong node, a downgrade, a mismatched pre-shared key and
// a weak key all fail by name; the same seeds replay the same bytes.
import { beforeAll, describe, expect, it } from 'vitest';
import { create_init, finish, respond, type Finished, type Responded } from '../../../net/secure/handshake.js';
import { bytes_hex } from '../../../net/secure/hex.js';
import { Identity } from '../../../net/secure/identity.js';
import { SIGN_INIT_LABEL, channel_key, signed_message, transcript_init } from '../../../net/secure/key_schedule.js';
import { seeded_random } from '../../../net/secure/random.js';
import { INIT_EPHEMERAL, INIT_SIGNATURE, SUITE_V1 } from '../../../net/secure/secure_layout.js';
import { CryptoSuite } from '../../../net/secure/suite.js';

let suite: CryptoSuite;
let alice: Identity;
let bob: Identity;
let mallory: Identity;
beforeAll(async () => {
  suite = await CryptoSuite.load();
  alice = Identity.from_seed(suite, new Uint8Array(32).fill(0xa1));
  bob = Identity.from_seed(suite, new Uint8Array(32).fill(0xb0));
  mallory = Identity.from_seed(suite, new Uint8Array(32).fill(0x66));
});

const A = 10;
const B = 20;

function run(
  seed: string,
  options: { psk_a?: Uint8Array; psk_b?: Uint8Array; bob_key_at_alice?: Uint8Array; init_signer?: Identity } = {},
) {
  const ra = seeded_random(`${seed}/a`);
  const rb = seeded_random(`${seed}/b`);
  const init = create_init(suite, ra, options.init_signer ?? alice, A, B, 111, 1000);
  const responded = respond(suite, rb, bob, init.message, A, B, alice.public_key, options.psk_b ?? null, 222);
  if (typeof responded === 'string') return { init, responded, finished: null };
  const finished = finish(
    suite,
    init.state,
    responded.message,
    options.bob_key_at_alice ?? bob.public_key,
    options.psk_a ?? null,
  );
  return { init, responded, finished };
}

describe('handshake', () => {
  it('gives both sides the same direction keys, and distinct ones per direction and channel', () => {
    const { responded, finished } = run('ok');
    const r = responded as Responded;
    const f = finished as Finished;
    expect(f.responder_index).toBe(222);
    expect(r.initiator_index).toBe(111);
    expect(bytes_hex(f.keys.i2r)).toBe(bytes_hex(r.keys.i2r));
    expect(bytes_hex(f.keys.r2i)).toBe(bytes_hex(r.keys.r2i));
    expect(bytes_hex(f.keys.i2r)).not.toBe(bytes_hex(f.keys.r2i));
    const k1 = channel_key(suite, f.keys.i2r, A, 1, B, 2);
    const k2 = channel_key(suite, f.keys.i2r, A, 2, B, 1);
    const k3 = channel_key(suite, f.keys.i2r, A, 1, B + 1, 2);
    expect(new Set([k1, k2, k3].map(bytes_hex)).size).toBe(3);
  });

  it('replays byte for byte from the same seeds, and differs with others', () => {
    const one = run('same');
    const two = run('same');
    const other = run('other');
    expect(bytes_hex(one.init.message)).toBe(bytes_hex(two.init.message));
    expect(bytes_hex((one.responded as Responded).message)).toBe(bytes_hex((two.responded as Responded).message));
    expect(bytes_hex((one.finished as Finished).keys.i2r)).toBe(bytes_hex((two.finished as Finished).keys.i2r));
    expect(bytes_hex(other.init.message)).not.toBe(bytes_hex(one.init.message));
    expect(bytes_hex((other.finished as Finished).keys.i2r)).not.toBe(bytes_hex((one.finished as Finished).keys.i2r));
  });

  it('refuses an INIT changed in any byte (a signed transcript)', () => {
    const init = create_init(suite, seeded_random('flip'), alice, A, B, 111, 1000).message;
    const faults = new Set<string>();
    for (let i = 0; i < init.length; i++) {
      const bad = init.slice();
      bad[i]! ^= 0x20;
      const result = respond(suite, seeded_random('r'), bob, bad, A, B, alice.public_key, null, 5);
      expect(typeof result, `byte ${i}`).toBe('string');
      faults.add(result as string);
    }
    // Byte 0 is the suite, 1 the protocol version, 2–3 reserved: each refused before the signature.
    expect([...faults].sort()).toEqual(['bad_signature', 'downgrade', 'old_version', 'wrong_node']);
  });

  it('refuses a RESPONSE changed in any byte', () => {
    const ra = seeded_random('flip2');
    const init = create_init(suite, ra, alice, A, B, 111, 1000);
    const responded = respond(
      suite,
      seeded_random('r2'),
      bob,
      init.message,
      A,
      B,
      alice.public_key,
      null,
      5,
    ) as Responded;
    for (let i = 0; i < responded.message.length; i += 5) {
      const bad = responded.message.slice();
      bad[i]! ^= 0x02;
      expect(typeof finish(suite, init.state, bad, bob.public_key, null), `byte ${i}`).toBe('string');
    }
  });

  it('gives no session to a wrong identity, in either direction', () => {
    // Mallory signs an INIT claiming to be node A: Bob has Alice's key pinned.
    expect(run('mitm1', { init_signer: mallory }).responded).toBe('bad_signature');
    // Alice expects Bob's key but another identity answers.
    expect(run('mitm2', { bob_key_at_alice: mallory.public_key }).finished).toBe('bad_signature');
  });

  it('refuses an INIT for another node, an unknown suite, a weak ephemeral key', () => {
    const init = create_init(suite, seeded_random('n'), alice, A, B + 1, 1, 1).message;
    expect(respond(suite, seeded_random('r'), bob, init, A, B, alice.public_key, null, 5)).toBe('wrong_node');
    const downgraded = create_init(suite, seeded_random('n'), alice, A, B, 1, 1).message;
    downgraded[0] = SUITE_V1 + 1;
    expect(respond(suite, seeded_random('r'), bob, downgraded, A, B, alice.public_key, null, 5)).toBe('downgrade');
    // An all-zero ephemeral key, properly signed (Alice's own key signs it), is still refused.
    const weak = create_init(suite, seeded_random('w'), alice, A, B, 1, 1);
    const msg = weak.message;
    msg.fill(0, INIT_EPHEMERAL, INIT_EPHEMERAL + 32);
    const resigned = resign(msg);
    expect(respond(suite, seeded_random('r'), bob, resigned, A, B, alice.public_key, null, 5)).toBe('bad_key');
  });

  it('derives different keys when the pre-shared keys differ (so no packet opens)', () => {
    const psk = new Uint8Array(32).fill(7);
    const same = run('psk', { psk_a: psk, psk_b: psk });
    expect(bytes_hex((same.finished as Finished).keys.i2r)).toBe(bytes_hex((same.responded as Responded).keys.i2r));
    const differ = run('psk', { psk_a: psk, psk_b: new Uint8Array(32).fill(8) });
    expect(bytes_hex((differ.finished as Finished).keys.i2r)).not.toBe(
      bytes_hex((differ.responded as Responded).keys.i2r),
    );
  });
});

/** Alice's signature over a modified INIT (to test the checks that come after the signature's). */
function resign(message: Uint8Array): Uint8Array {
  const th1 = transcript_init(suite, A, message.subarray(0, INIT_SIGNATURE));
  message.set(suite.sign(signed_message(SIGN_INIT_LABEL, th1), alice.secret_key), INIT_SIGNATURE);
  return message;
}
