// A TypeScript consumer of the installed package (test/package/package.test.ts type-checks it
// with NodeNext resolution, target ES2022 and skipLibCheck off): one import from every entry.
import { IpcFlags, LatticeError, Message, NodeHost, Status, status_name, type ProcessContext } from 'lattice-ipc';
import { Fastpath, Kernel, NodeMemory, real_env, type FastpathStats } from 'lattice-ipc/kernel';
import { type NetDriver, NodeNetwork, Proto, type PacketPort, type SendResult } from 'lattice-ipc/net';
import { CryptoSuite, Identity, type SecureChannel, type SecureStats } from 'lattice-ipc/secure';
import { Simulator, parse_scenario, type SimResult } from 'lattice-ipc/sim';
import { BulkRing, type BulkBackend, type GpuHandle } from 'lattice-ipc/gpu';
import { WebGpuMissingError, node_net_env, open_node_gpu, system_random } from 'lattice-ipc/node';

export function body(ctx: ProcessContext<{ peer: number }>): number {
  // The raw fastpath is not part of the kernel's public type (only `ctx.trusted` has it):
  // @ts-expect-error
  void ctx.kernel.fastpath;
  // @ts-expect-error
  void ctx.kernel.memory;
  const m = new ctx.Message();
  m.m_type = 7;
  const cap = ctx.connect(ctx.args.peer);
  const status: number = ctx.send(cap, m, IpcFlags.NONE);
  return status === Status.OK ? 0 : status;
}

export async function use(): Promise<string[]> {
  const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 2 });
  memory.bind(1, 0);
  const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0)));
  const stats: FastpathStats = kernel.stats();
  const m = new Message();
  const sent: number = kernel.send(1, kernel.connect(1, 1), m);
  const result: SimResult = await new Simulator(parse_scenario('{}', 'x.json'), { seed: 1 }).run();
  const suite: CryptoSuite = await CryptoSuite.load();
  const identity: Identity = Identity.generate(suite, system_random());
  const backend: BulkBackend = { kind: 'cpu', reason: 'none' };
  const ring: BulkRing = await BulkRing.create(backend);
  let gpu: GpuHandle | null = null;
  try {
    gpu = await open_node_gpu();
  } catch (error) {
    if (!(error instanceof WebGpuMissingError) && !(error instanceof LatticeError)) throw error;
  }
  const port: PacketPort | null = null as NetDriver | SecureChannel | null;
  const answer: SendResult | undefined = port?.send_packet(2, 1, 1, new Uint8Array(4));
  const secure_stats: SecureStats | null = null;
  const host: typeof NodeHost = NodeHost;
  void [stats, result, identity, ring, gpu, answer, secure_stats, host, node_net_env, NodeNetwork, Proto.TCP];
  return [status_name(sent), Status[result.ok ? 'OK' : 'CLOSED'].toString()];
}
